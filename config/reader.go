package config

import (
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// reader registers each setting as a flag whose default comes from the
// environment, collecting malformed environment values as errors.
type reader struct {
	fs     *flag.FlagSet
	getenv func(string) string
	errs   []error
}

func (r *reader) env(name string) (string, bool) {
	v := strings.TrimSpace(r.getenv(name))
	return v, v != ""
}

func (r *reader) str(p *string, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		*p = v
	}
	r.fs.StringVar(p, flagName, *p, usage+" ($"+env+")")
}

// secret is str for values that must not appear in -h output.
func (r *reader) secret(p *string, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		*p = v
	}
	r.fs.Var((*secretValue)(p), flagName, usage+" ($"+env+")")
}

// secretValue is a string flag that prints as empty.
type secretValue string

func (s *secretValue) String() string     { return "" }
func (s *secretValue) Set(v string) error { *s = secretValue(v); return nil }

func (r *reader) integer(p *int, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a whole number", env, v))
		}
		*p = n
	}
	r.fs.IntVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) number(p *float64, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a number", env, v))
		}
		*p = n
	}
	r.fs.Float64Var(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) boolean(p *bool, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not true or false", env, v))
		}
		*p = b
	}
	r.fs.BoolVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) duration(p *time.Duration, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not a duration such as 5s or 2m", env, v))
		}
		*p = d
	}
	r.fs.DurationVar(p, flagName, *p, usage+" ($"+env+")")
}

func (r *reader) level(p *slog.Level, flagName, env, usage string) {
	if v, ok := r.env(env); ok {
		if err := p.UnmarshalText([]byte(v)); err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not debug, info, warn or error", env, v))
		}
	}
	r.fs.TextVar(p, flagName, *p, usage+" ($"+env+")")
}
