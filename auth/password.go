package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// Params are argon2id cost parameters. Memory is in KiB.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams meet OWASP's minimum for argon2id: m=19 MiB, t=2, p=1;
// 16-byte salt, 32-byte key.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, whether configured or read from a stored hash. A
// stored hash is data, and data must not be able to make Verify allocate
// gigabytes or spin for minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 100
	minSaltLen   = 8 // the argon2 specification's minimum
	maxSaltLen   = 1024
	minKeyLen    = 4 // the argon2 specification's minimum
	maxKeyLen    = 1024
	// maxEncodedLen comfortably holds the longest string the bounds above allow.
	maxEncodedLen = 4096
)

var errMalformedHash = errors.New("malformed password hash")

func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return errors.New("argon2id threads must be at least 1")
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("argon2id time must be between 1 and %d", maxTime)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemoryKiB:
		return fmt.Errorf("argon2id memory must be between 8*threads and %d KiB", maxMemoryKiB)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("argon2id salt length must be between %d and %d bytes", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("argon2id key length must be between %d and %d bytes", minKeyLen, maxKeyLen)
	}
	return nil
}

// Hasher hashes and verifies passwords. It bounds how many hashes run at once
// (each takes Memory KiB), waiting for a slot with the context, so a burst of
// logins queues instead of exhausting memory.
type Hasher struct {
	p     Params
	err   error // why p is unusable, if it is
	slots int
	sem   *semaphore.Weighted
	dummy string
}

// NewHasher returns a Hasher using p that runs at most maxConcurrent hashes at
// once; maxConcurrent <= 0 means one per CPU: hashing is all computation, so
// more at once adds memory (Memory KiB each) and no speed. Unusable params are
// reported by Hash and VerifyDummy rather than here, so that existing hashes
// still verify while the configuration is being fixed.
func NewHasher(p Params, maxConcurrent int) *Hasher {
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{p: p, slots: maxConcurrent, sem: semaphore.NewWeighted(int64(maxConcurrent))}
	if h.err = p.validate(); h.err != nil {
		return h
	}
	// A random key under a random salt is indistinguishable from the hash of
	// an unknown random password, and verifying against it costs exactly what
	// verifying against a real hash costs.
	h.dummy = encodeHash(p, randomBytes(p.SaltLen), randomBytes(p.KeyLen))
	return h
}

// Hash returns password's argon2id hash as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, salt and key in unpadded
// standard base64 as the reference implementation writes them.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if h.err != nil {
		return "", h.err
	}
	salt := randomBytes(h.p.SaltLen)
	key, err := h.derive(ctx, h.p, password, salt)
	if err != nil {
		return "", err
	}
	return encodeHash(h.p, salt, key), nil
}

// Verify reports whether password matches encoded, comparing in constant
// time. needsRehash is true when it matches but encoded was made with
// parameters other than h's, so the caller can upgrade it while it holds the
// plaintext. err is only for a malformed or out-of-bounds encoded string or
// the context ending.
func (h *Hasher) Verify(ctx context.Context, encoded, password string) (ok, needsRehash bool, err error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := h.derive(ctx, p, password, salt)
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.p, nil
}

// VerifyDummy does the work of a Verify against a real hash and discards the
// result, so that a login for an unknown account takes as long as one for a
// known account.
func (h *Hasher) VerifyDummy(ctx context.Context, password string) error {
	if h.err != nil {
		return h.err
	}
	_, _, err := h.Verify(ctx, h.dummy, password)
	return err
}

func (h *Hasher) derive(ctx context.Context, p Params, password string, salt []byte) ([]byte, error) {
	if err := h.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	defer h.sem.Release(1)
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen), nil
}

func randomBytes(n uint32) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails: crypto/rand crashes the program instead
	return b
}

var b64 = base64.RawStdEncoding.Strict()

func encodeHash(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// decodeHash parses a PHC argon2id string, refusing anything outside the
// bounds before allocating for it.
func decodeHash(encoded string) (Params, []byte, []byte, error) {
	var p Params
	if len(encoded) > maxEncodedLen {
		return p, nil, nil, fmt.Errorf("%w: too long", errMalformedHash)
	}
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" {
		return p, nil, nil, fmt.Errorf("%w: want 5 $-separated fields", errMalformedHash)
	}
	if f[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("%w: algorithm %q is not argon2id", errMalformedHash, f[1])
	}
	if f[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", errMalformedHash, f[2])
	}
	m, t, threads, err := parseCost(f[3])
	if err != nil {
		return p, nil, nil, err
	}
	p = Params{Memory: m, Time: t, Threads: threads}
	// Check the lengths from the encoded sizes so nothing is decoded that
	// validate would refuse anyway.
	p.SaltLen = uint32(b64.DecodedLen(len(f[4])))
	p.KeyLen = uint32(b64.DecodedLen(len(f[5])))
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: %w", errMalformedHash, err)
	}
	salt, err := b64.DecodeString(f[4])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: salt: %w", errMalformedHash, err)
	}
	key, err := b64.DecodeString(f[5])
	if err != nil {
		return Params{}, nil, nil, fmt.Errorf("%w: key: %w", errMalformedHash, err)
	}
	return p, salt, key, nil
}

// parseCost parses exactly "m=<uint>,t=<uint>,p=<uint>", in that order.
func parseCost(s string) (memory, time uint32, threads uint8, err error) {
	var vals [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		field, rest, found := strings.Cut(s, ",")
		if found != (i < 2) || !strings.HasPrefix(field, name) {
			return 0, 0, 0, fmt.Errorf("%w: parameters %q", errMalformedHash, s)
		}
		bits := 32
		if i == 2 {
			bits = 8
		}
		v, perr := strconv.ParseUint(field[len(name):], 10, bits)
		if perr != nil {
			return 0, 0, 0, fmt.Errorf("%w: parameter %s out of range", errMalformedHash, name[:1])
		}
		vals[i] = v
		s = rest
	}
	return uint32(vals[0]), uint32(vals[1]), uint8(vals[2]), nil
}

// Password policy, in characters (runes), after NIST SP 800-63B: long enough
// to resist guessing, bounded so hashing cost stays predictable.
const (
	minPasswordRunes = 8
	maxPasswordRunes = 128
)

var (
	errPasswordShort   = fmt.Errorf("password must be at least %d characters", minPasswordRunes)
	errPasswordLong    = fmt.Errorf("password must be at most %d characters", maxPasswordRunes)
	errPasswordEncoded = errors.New("password must be valid UTF-8 text")
)

// CheckPassword enforces the password policy: 8 to 128 characters of valid
// UTF-8. It never truncates; a longer password is refused, not shortened.
// The error's message is suitable to show a user.
func CheckPassword(password string) error {
	// No rune is wider than utf8.UTFMax bytes, so this refuses huge input
	// without scanning it.
	if len(password) > maxPasswordRunes*utf8.UTFMax {
		return errPasswordLong
	}
	if !utf8.ValidString(password) {
		return errPasswordEncoded
	}
	switch n := utf8.RuneCountInString(password); {
	case n < minPasswordRunes:
		return errPasswordShort
	case n > maxPasswordRunes:
		return errPasswordLong
	}
	return nil
}
