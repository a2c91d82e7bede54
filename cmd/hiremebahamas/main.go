// Command hiremebahamas runs the HireMeBahamas API.
//
//	hiremebahamas serve    serve gRPC and REST on $PORT
//	hiremebahamas migrate  apply pending database migrations and exit
//	hiremebahamas admin    create accounts and change roles
//	hiremebahamas seed     fill the database with demo data
//	hiremebahamas version  print the build's version, commit and Go version
//	hiremebahamas probe    exit 0 if the local instance answers /live
//
// Settings come from the environment; each has a flag that overrides it
// (hiremebahamas serve -h lists them).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	// Time zones and CA roots inside the binary, so that it runs in an image
	// that has neither (/usr/share/zoneinfo, /etc/ssl/certs). The roots are
	// used only where the system has none.
	_ "golang.org/x/crypto/x509roots/fallback"
	_ "time/tzdata"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/server"
)

const usage = `usage: hiremebahamas <command> [flags]

commands:
  serve    serve gRPC and REST on $PORT until SIGTERM, and work background jobs ($WORKERS at once)
  worker   work background jobs (mail) until SIGTERM, without serving the API
  migrate  apply pending database migrations and exit
  admin    create accounts and change roles (run "hiremebahamas admin" for details)
  seed     fill the database with demo employers, job seekers, jobs and applications
  version  print the version, commit and Go version of this build
  probe    exit 0 if the instance on $HOST:$PORT answers /live, 1 if not (--path, --timeout)

Run "hiremebahamas <command> -h" for the settings a command reads.
`

func main() {
	if len(os.Args) > 1 {
		if t, ok := tools[os.Args[1]]; ok {
			os.Exit(t(os.Args[2:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stderr))
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "admin" {
		return admin(ctx, args[1:], getenv, stdin, stderr)
	}
	if len(args) > 0 && args[0] == "seed" {
		return seed(ctx, args[1:], getenv, stderr)
	}
	if len(args) == 0 || (args[0] != "serve" && args[0] != "migrate" && args[0] != "worker") {
		fmt.Fprint(stderr, usage)
		return 2
	}
	command := args[0]
	cfg, err := config.Load(command, args[1:], getenv)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas %s: invalid configuration:\n%v\n", command, err)
		return 2
	}
	log := server.NewLogger(cfg, stderr)
	switch command {
	case "serve":
		app, err := server.New(ctx, cfg, log)
		if err != nil {
			log.Error("cannot start", "error", err)
			return 1
		}
		defer app.Close()
		if err := app.Run(ctx); err != nil {
			return 1
		}
	case "worker":
		w, err := server.NewWorker(ctx, cfg, log)
		if err != nil {
			log.Error("cannot start", "error", err)
			return 1
		}
		defer w.Close()
		if err := w.Run(ctx); err != nil {
			log.Error("worker failed", "error", err)
			return 1
		}
	case "migrate":
		if err := migrate(ctx, cfg, log); err != nil {
			log.Error("migration failed", "error", err)
			return 1
		}
	}
	return 0
}
