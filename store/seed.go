package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// SeedOptions size the demo data.
type SeedOptions struct {
	Jobs, Users  int
	PasswordHash string // every seeded account shares it
	Seed         uint64 // the same seed makes the same data
}

// SeedResult counts what Seed wrote.
type SeedResult struct {
	Employers, Seekers, Jobs, Applications int
}

// Seed fills the database with realistic demo employers, job seekers, jobs
// and applications using COPY, reporting progress as it goes. Seeded emails
// end in @seed.hiremebahamas.test, so they never collide with real ones.
func (s *Store) Seed(ctx context.Context, o SeedOptions, progress func(string)) (SeedResult, error) {
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	now := time.Now()
	batch := fmt.Sprintf("%x", now.UnixNano()) // keeps emails unique across runs
	employers := max(1, o.Users/10)
	seekers := max(1, o.Users-employers)
	res := SeedResult{Employers: employers, Seekers: seekers}

	users := make([][]any, 0, employers+seekers)
	employerIDs := make([]pgtype.UUID, employers)
	employerCo := make([]int, employers)
	seekerIDs := make([]pgtype.UUID, seekers)
	for i := range employers + seekers {
		id, err := newUUID()
		if err != nil {
			return res, err
		}
		first, last := pick(rng, seedFirstNames), pick(rng, seedLastNames)
		role, company := "JOB_SEEKER", ""
		isl := seedIslands[rng.IntN(len(seedIslands))]
		if i < employers {
			employerIDs[i], employerCo[i] = id, rng.IntN(len(seedCompanies))
			role, company = "EMPLOYER", seedCompanies[employerCo[i]].name
		} else {
			seekerIDs[i-employers] = id
		}
		email := fmt.Sprintf("%s.%s.%d.%s@seed.hiremebahamas.test", strings.ToLower(first), strings.ToLower(last), i, batch)
		created := now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour)
		users = append(users, []any{id, email, o.PasswordHash, role, first, last, isl.name, company,
			[]string{}, rng.IntN(3) == 0, created, created})
	}
	n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"users"},
		[]string{"id", "email", "password_hash", "role", "first_name", "last_name", "location", "company_name",
			"skills", "available_for_hire", "create_time", "update_time"}, pgx.CopyFromRows(users))
	if err != nil {
		return res, interpretError(err)
	}
	progress(fmt.Sprintf("users: %d (%d employers, %d job seekers)", n, employers, seekers))

	totalWeight := 0
	for _, isl := range seedIslands {
		totalWeight += isl.weight
	}
	jobIDs := make([]pgtype.UUID, 0, o.Jobs)
	const chunk = 10000
	for start := 0; start < o.Jobs; start += chunk {
		rows := make([][]any, 0, min(chunk, o.Jobs-start))
		for range min(chunk, o.Jobs-start) {
			id, err := newUUID()
			if err != nil {
				return res, err
			}
			e := rng.IntN(employers)
			co := seedCompanies[employerCo[e]]
			isl := weighted(rng, totalWeight)
			skills := sample(rng, seedSkills[co.category], 1+rng.IntN(3))
			title := pick(rng, seedTitles[co.category])
			desc := strings.Join(sample(rng, seedPhrases, 3+rng.IntN(4)), " ")
			published := now.Add(-time.Duration(rng.IntN(28*24*60)) * time.Minute)
			status := "OPEN"
			if rng.IntN(20) == 0 {
				status = "CLOSED"
			}
			salMin := float64(15000 + rng.IntN(60)*1000)
			rows = append(rows, []any{id, employerIDs[e], co.name, title, title + " at " + co.name + ". " + desc,
				"Relevant experience and good references.", "Health insurance; staff meals.", co.category,
				pick(rng, seedTypes), isl.name, isl.town, rng.IntN(15) == 0, salMin, salMin + float64(rng.IntN(20))*1000,
				"BSD", "YEARLY", skills, status, published, published.Add(30 * 24 * time.Hour), published, published})
			jobIDs = append(jobIDs, id)
		}
		if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"jobs"},
			[]string{"id", "employer_id", "company", "title", "description", "requirements", "benefits", "category",
				"employment_type", "island", "location", "remote", "salary_min", "salary_max", "salary_currency",
				"salary_period", "skills", "status", "publish_time", "expire_time", "create_time", "update_time"},
			pgx.CopyFromRows(rows)); err != nil {
			return res, interpretError(err)
		}
		res.Jobs += len(rows)
		progress(fmt.Sprintf("jobs: %d of %d", res.Jobs, o.Jobs))
	}

	// About one application per job, each seeker applying to distinct jobs.
	var apps [][]any
	statuses := []string{"SUBMITTED", "SUBMITTED", "REVIEWING", "INTERVIEW", "OFFERED", "HIRED", "REJECTED", "WITHDRAWN"}
	for i, seeker := range seekerIDs {
		if len(jobIDs) == 0 {
			break
		}
		count := min(len(jobIDs), rng.IntN(2*max(1, o.Jobs/len(seekerIDs))+1))
		first := rng.IntN(len(jobIDs))
		for k := range count {
			apps = append(apps, []any{jobIDs[(first+k*7919+i)%len(jobIDs)], seeker, "I would love to join your team.", pick(rng, statuses)})
		}
	}
	if len(apps) > 0 {
		// Distinct (job, applicant) pairs: the stride can wrap onto a job
		// already applied to when a seeker applies to many.
		seen := make(map[[2]pgtype.UUID]bool, len(apps))
		unique := apps[:0]
		for _, a := range apps {
			key := [2]pgtype.UUID{a[0].(pgtype.UUID), a[1].(pgtype.UUID)}
			if !seen[key] {
				seen[key] = true
				unique = append(unique, a)
			}
		}
		n, err := s.pool.CopyFrom(ctx, pgx.Identifier{"applications"}, []string{"job_id", "applicant_id", "cover_letter", "status"},
			pgx.CopyFromRows(unique))
		if err != nil {
			return res, interpretError(err)
		}
		res.Applications = int(n)
		progress(fmt.Sprintf("applications: %d", n))
	}
	// Statistics for the planner, and the visibility map for index-only scans.
	if _, err := s.pool.Exec(ctx, "VACUUM (ANALYZE) users, jobs, applications"); err != nil {
		return res, interpretError(err)
	}
	return res, nil
}

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

func sample(rng *rand.Rand, list []string, n int) []string {
	out := make([]string, 0, n)
	for _, i := range rng.Perm(len(list))[:min(n, len(list))] {
		out = append(out, list[i])
	}
	return out
}

func weighted(rng *rand.Rand, total int) struct {
	name, town string
	weight     int
} {
	r := rng.IntN(total)
	for _, isl := range seedIslands {
		if r < isl.weight {
			return isl
		}
		r -= isl.weight
	}
	return seedIslands[0]
}
