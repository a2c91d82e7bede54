package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/store"
)

const adminUsage = `usage:
  hiremebahamas admin create-user --email E --role R --first-name F --last-name L  (password on standard input)
  hiremebahamas admin set-role --email E --role R

R is job_seeker, employer or admin. Reads DATABASE_URL like migrate.
`

// admin runs an operator command against the database directly.
func admin(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "create-user" && args[0] != "set-role") {
		fmt.Fprint(stderr, adminUsage)
		return 2
	}
	fs := flag.NewFlagSet("admin "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the account's email")
	roleName := fs.String("role", "", "job_seeker, employer or admin")
	first := fs.String("first-name", "", "given name (create-user)")
	last := fs.String("last-name", "", "family name (create-user)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	// The same rules as sign-up, so that an operator cannot create an
	// account the service would refuse.
	role, ok := domain.ParseRole(*roleName)
	var problems []string
	addr, err := domain.ParseEmail(*email)
	if err != nil {
		problems = append(problems, "--email: "+err.Error())
	}
	if !ok {
		problems = append(problems, "--role: want job_seeker, employer or admin")
	}
	var firstName, lastName string
	if args[0] == "create-user" {
		if firstName, err = domain.ParseName(*first); err != nil {
			problems = append(problems, "--first-name: "+err.Error())
		}
		if lastName, err = domain.ParseName(*last); err != nil {
			problems = append(problems, "--last-name: "+err.Error())
		}
	}
	if len(problems) > 0 {
		fmt.Fprintf(stderr, "hiremebahamas admin %s:\n  %s\n", args[0], strings.Join(problems, "\n  "))
		return 2
	}

	s, code := openStore("admin", getenv, stderr)
	if s == nil {
		return code
	}
	defer s.Close()

	var u domain.User
	switch args[0] {
	case "create-user":
		password, err := readPassword(stdin)
		if err == nil {
			err = auth.CheckPassword(password)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hiremebahamas admin create-user: the password on standard input: %v\n", err)
			return 2
		}
		hash, err := auth.NewHasher(auth.DefaultParams, 1).Hash(ctx, password)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		u, err = s.CreateUser(ctx, store.NewUser{Email: addr, PasswordHash: hash, Role: role,
			FirstName: firstName, LastName: lastName})
		if err != nil {
			fmt.Fprintf(stderr, "hiremebahamas admin create-user: %v\n", err)
			return 1
		}
	case "set-role":
		existing, err := s.GetUserByEmail(ctx, addr)
		if err == nil {
			u, err = s.SetRole(ctx, existing.ID, role)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hiremebahamas admin set-role: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "%s: id %s, email %s, role %s\n", args[0], u.ID, u.Email, u.Role)
	return 0
}

// readPassword takes the first line of r, so that a password never appears
// in a process list or shell history.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty")
	}
	return line, nil
}

// openStore opens the database for a one-off operator command, reporting
// problems to stderr; on failure it returns nil and the exit code.
func openStore(command string, getenv func(string) string, stderr io.Writer) (*store.Store, int) {
	cfg, err := config.Load(command, nil, getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas %s: invalid configuration:\n%v\n", command, err)
		return nil, 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := store.Open(store.Options{DatabaseURL: cfg.DatabaseURL, MaxConns: 2, ConnectTimeout: cfg.DBConnectTimeout}, log)
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas %s: %v\n", command, err)
		return nil, 1
	}
	return s, 0
}
