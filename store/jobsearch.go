package store

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/domain"
)

// The board's list query is built here rather than by sqlc: its filters are
// optional and repeatable, and it has three orders, each with its own keyset
// condition and index. Every value is a bind parameter.

const jobColumns = `id, employer_id, request_id, company, title, description, requirements, benefits, category,
	employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills,
	status, publish_time, expire_time, create_time, update_time, version`

// ExactCountLimit is where counting stops: totals up to it are exact, and
// larger ones are the query planner's estimate, which costs no scan.
const ExactCountLimit = 1000

// jobQuery accumulates a FROM and WHERE clause and their arguments.
type jobQuery struct {
	from     string
	where    []string
	args     []any
	searches bool
}

func (q *jobQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *jobQuery) add(format string, v any) {
	q.where = append(q.where, fmt.Sprintf(format, q.arg(v)))
}

func newJobQuery(f domain.JobFilter) *jobQuery {
	q := &jobQuery{from: "jobs", where: []string{"status = 'OPEN'", "publish_time <= now()", "expire_time > now()"}}
	if ts := TSQuery(f.Query); ts != "" {
		// The query is parsed once, as a FROM item, rather than for every
		// row the recheck and the ranking look at.
		q.from, q.searches = "jobs, to_tsquery('english', "+q.arg(ts)+") AS query", true
		q.where = append(q.where, "search @@ query")
	}
	switch len(f.Islands) {
	case 0:
	case 1:
		// Equality, not ANY: only then can the (island, publish_time) index
		// return rows already in order, reading no more than a page.
		q.add("island = %s", f.Islands[0])
	default:
		q.add("island = ANY(%s::text[])", f.Islands)
	}
	if len(f.Categories) > 0 {
		q.add("category = ANY(%s::text[])", f.Categories)
	}
	if len(f.EmploymentTypes) > 0 {
		q.add("employment_type = ANY(%s::text[])", f.EmploymentTypes)
	}
	if f.Remote != nil {
		q.add("remote = %s", *f.Remote)
	}
	if f.SalaryMin > 0 {
		q.add("greatest(salary_min, salary_max) >= %s", f.SalaryMin)
	}
	if f.PostedWithinDays > 0 {
		q.add("publish_time > now() - make_interval(days => %s)", f.PostedWithinDays)
	}
	if f.EmployerID != "" {
		uid, ok := parseUUID(f.EmployerID)
		if !ok {
			q.where = append(q.where, "false")
		} else {
			q.add("employer_id = %s", uid)
		}
	}
	return q
}

// TSQuery turns what a person typed into a safe tsquery: the words, ANDed,
// the last one also matching as a prefix. Search syntax characters separate
// words; they are never passed through.
func TSQuery(text string) string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	if len(words) > 16 {
		words = words[:16]
	}
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " & ") + ":*"
}

// SearchJobs returns up to limit open jobs matching f in the given order,
// after the cursor.
func (s *Store) SearchJobs(ctx context.Context, f domain.JobFilter, order string, after *domain.JobCursor, limit int) ([]domain.JobHit, error) {
	sql, args, err := searchSQL(f, order, after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.JobHit, error) {
		var r jobRow
		var h domain.JobHit
		err := row.Scan(&r.ID, &r.EmployerID, &r.RequestID, &r.Company, &r.Title, &r.Description, &r.Requirements,
			&r.Benefits, &r.Category, &r.EmploymentType, &r.Island, &r.Location, &r.Remote, &r.SalaryMin, &r.SalaryMax,
			&r.SalaryCurrency, &r.SalaryPeriod, &r.Skills, &r.Status, &r.PublishTime, &r.ExpireTime, &r.CreateTime,
			&r.UpdateTime, &r.Version, &h.Rank)
		h.Job = toJob(r)
		return h, err
	})
	return hits, interpretError(err)
}

// searchSQL builds SearchJobs' query.
func searchSQL(f domain.JobFilter, order string, after *domain.JobCursor, limit int) (string, []any, error) {
	q := newJobQuery(f)
	rank := "0::real"
	if q.searches {
		rank = "ts_rank_cd(search, query)::real"
	}
	var key, orderBy string
	switch order {
	case domain.OrderRelevance:
		key, orderBy = rank, rank+" DESC, id DESC"
	case domain.OrderSalary:
		key, orderBy = "greatest(salary_min, salary_max)", "greatest(salary_min, salary_max) DESC, id DESC"
	default:
		key, orderBy = "publish_time", "publish_time DESC, id DESC"
	}
	p, err := pageAfter(after, limit, func(c domain.JobCursor) (any, string) {
		switch order {
		case domain.OrderRelevance:
			return c.Rank, c.ID
		case domain.OrderSalary:
			return c.Salary, c.ID
		}
		return c.Time, c.ID
	})
	if err != nil {
		return "", nil, err
	}
	if p.AfterID.Valid {
		val := q.arg(p.After)
		q.where = append(q.where, fmt.Sprintf("(%s, id) < (%s, %s)", key, val, q.arg(p.AfterID)))
	}
	sql := fmt.Sprintf("SELECT %s, %s AS rank FROM %s WHERE %s ORDER BY %s LIMIT %s",
		jobColumns, rank, q.from, strings.Join(q.where, " AND "), orderBy, q.arg(p.Limit))
	return sql, q.args, nil
}

// CountJobs counts open jobs matching f: exactly when the planner expects
// at most about ExactCountLimit of them and there is no text query, and by
// the planner's estimate otherwise.
func (s *Store) CountJobs(ctx context.Context, f domain.JobFilter) (n int, exact bool, err error) {
	q := newJobQuery(f)
	where := strings.Join(q.where, " AND ")
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := s.db.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT 1 FROM "+q.from+" WHERE "+where, q.args...).Scan(&plan); err != nil {
		return 0, false, interpretError(err)
	}
	// A text search has to read every matching row to count it, as ranking
	// already did for the page, so searches report the estimate.
	if len(plan) == 1 && (plan[0].Plan.Rows > 2*ExactCountLimit || q.searches) {
		return int(plan[0].Plan.Rows), false, nil
	}
	err = s.db.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d) AS matched",
		q.from, where, ExactCountLimit+1), q.args...).Scan(&n)
	if err != nil {
		return 0, false, interpretError(err)
	}
	if n > ExactCountLimit {
		return max(n, int(plan[0].Plan.Rows)), false, nil
	}
	return n, true, nil
}

// JobFacets counts open jobs matching f by island, category and employment
// type, in one pass.
func (s *Store) JobFacets(ctx context.Context, f domain.JobFilter) (domain.JobFacets, error) {
	q := newJobQuery(f)
	rows, err := s.db.Query(ctx, fmt.Sprintf(`SELECT island, category, employment_type, count(*) FROM %s WHERE %s
		GROUP BY GROUPING SETS ((island), (category), (employment_type))`, q.from, strings.Join(q.where, " AND ")), q.args...)
	if err != nil {
		return domain.JobFacets{}, interpretError(err)
	}
	facets := domain.JobFacets{Island: map[string]int{}, Category: map[string]int{}, EmploymentType: map[string]int{}}
	var island, category, employment *string
	var n int
	_, err = pgx.ForEachRow(rows, []any{&island, &category, &employment, &n}, func() error {
		switch {
		case island != nil:
			facets.Island[*island] = n
		case category != nil:
			facets.Category[*category] = n
		case employment != nil:
			facets.EmploymentType[*employment] = n
		}
		return nil
	})
	return facets, interpretError(err)
}
