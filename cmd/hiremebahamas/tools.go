package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/internal/buildinfo"
)

// A tool is a command that needs no database and no signal handling, and
// answers on standard output: they run in images that have nothing but the
// binary, as health checks and checks of the image itself.
type tool func(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int

var tools = map[string]tool{
	"version": version,
	"probe":   probe,
	// Not in the usage: it exists for the test of the image's contents.
	"selfcheck": selfcheck,
}

func version(args []string, _ func(string) string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: hiremebahamas version")
		return 2
	}
	b := buildinfo.Read()
	commit := b.CommitOrUnknown()
	if b.Dirty {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(stdout, "hiremebahamas %s\ncommit       %s\n", b.Version, commit)
	if !b.CommitTime.IsZero() {
		fmt.Fprintf(stdout, "commit time  %s\n", b.CommitTime.UTC().Format(time.RFC3339))
	}
	if !b.BuildTime.IsZero() {
		fmt.Fprintf(stdout, "built        %s\n", b.BuildTime.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(stdout, "go           %s %s/%s\n", b.GoVersion, runtime.GOOS, runtime.GOARCH)
	return 0
}

// probe asks the local instance for a health path and exits 0 when it
// answers 200, 1 otherwise: a container health check that needs no shell
// and no curl. It finds the instance where serve listens, from HOST and
// PORT.
func probe(args []string, getenv func(string) string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("path", "/live", "health path to ask for")
	timeout := fs.Duration("timeout", 2*time.Second, "time allowed for the answer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || !strings.HasPrefix(*path, "/") || *timeout <= 0 {
		fmt.Fprintln(stderr, "usage: hiremebahamas probe [--path /live] [--timeout 2s]")
		return 2
	}
	addr, err := probeAddr(getenv)
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas probe: %v\n", err)
		return 2
	}
	client := &http.Client{Timeout: *timeout}
	resp, err := client.Get("http://" + addr + *path)
	if err != nil {
		fmt.Fprintf(stderr, "hiremebahamas probe: %v\n", err)
		return 1
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "hiremebahamas probe: GET %s answered %s\n", *path, resp.Status)
		return 1
	}
	return 0
}

// probeAddr is where serve listens, as seen from the same machine: HOST
// when it names one interface, loopback when it names all or none.
func probeAddr(getenv func(string) string) (string, error) {
	port := config.DefaultPort
	if v := strings.TrimSpace(getenv("PORT")); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return "", fmt.Errorf("PORT: %q is not a port number", v)
		}
		port = p
	}
	host := "127.0.0.1"
	if v := strings.TrimSpace(getenv("HOST")); v != "" {
		if ip, err := netip.ParseAddr(v); err != nil || !ip.IsUnspecified() {
			host = v
		} else if ip.Is6() {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}

// selfcheck proves that the binary carries what an empty image lacks: it
// verifies each PEM certificate on standard input against the default
// roots, as a TLS client would, and loads a time zone.
func selfcheck(args []string, _ func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "usage: hiremebahamas selfcheck < certificates.pem")
		return 2
	}
	var errs []error
	if _, err := time.LoadLocation("America/Nassau"); err != nil {
		errs = append(errs, fmt.Errorf("time zones: %w", err))
	}
	in, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
	if err != nil {
		errs = append(errs, err)
	}
	verified := 0
	for block, rest := pem.Decode(in); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Roots left empty: the default pool, which is what TLS dials use.
		if _, err := cert.Verify(x509.VerifyOptions{}); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", cert.Subject.CommonName, err))
			continue
		}
		verified++
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(stderr, "hiremebahamas selfcheck: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "time zones: ok\ncertificates verified: %d\n", verified)
	return 0
}
