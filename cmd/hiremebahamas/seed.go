package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/store"
)

// seedPassword signs in every seeded account.
const seedPassword = "hiremebahamas-demo"

// seed fills the database with demo data.
func seed(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	jobs := fs.Int("jobs", 1000, "job postings to create")
	users := fs.Int("users", 200, "accounts to create (a tenth of them employers)")
	seedValue := fs.Uint64("seed", uint64(time.Now().UnixNano()), "random seed; the same seed makes the same data")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *jobs < 0 || *users < 1 || *jobs > 10_000_000 || *users > 1_000_000 {
		fmt.Fprintln(stderr, "hiremebahamas seed: want 0 <= --jobs <= 10,000,000 and 1 <= --users <= 1,000,000")
		return 2
	}
	s, code := openStore("seed", getenv, stderr)
	if s == nil {
		return code
	}
	defer s.Close()
	if err := s.EnsureSchema(ctx); err != nil {
		fmt.Fprintf(stderr, "hiremebahamas seed: %v\n", err)
		return 1
	}
	hash, err := auth.NewHasher(auth.DefaultParams, 1).Hash(ctx, seedPassword)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	start := time.Now()
	res, err := s.Seed(ctx, store.SeedOptions{Jobs: *jobs, Users: *users, PasswordHash: hash, Seed: *seedValue}, func(msg string) {
		fmt.Fprintf(stderr, "%6.1fs  %s\n", time.Since(start).Seconds(), msg)
	})
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas seed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "seeded %d employers, %d job seekers, %d jobs and %d applications in %s; every account's password is %q\n",
		res.Employers, res.Seekers, res.Jobs, res.Applications, time.Since(start).Round(time.Millisecond), seedPassword)
	return 0
}
