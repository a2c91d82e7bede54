package auth

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
)

// cheap keeps argon2 fast in tests; only TestDefaultParams pays the real cost.
var cheap = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func hashOf(t *testing.T, h *Hasher, password string) string {
	t.Helper()
	encoded, err := h.Hash(context.Background(), password)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return encoded
}

func TestHashVerify(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := NewHasher(cheap, 0)
	long1 := strings.Repeat("a", 99) + "1"
	long2 := strings.Repeat("a", 99) + "2"
	nonASCII := strings.Repeat("é", 64) + strings.Repeat("日", 63) + "🔑"

	tests := []struct {
		name          string
		hashed, tried string
		want          bool
	}{
		{"same password", "correct horse battery", "correct horse battery", true},
		{"wrong password", "correct horse battery", "correct horse battery staple", false},
		{"case matters", "Password123", "password123", false},
		{"not truncated", long1, long2, false},
		{"128 non-ASCII characters", nonASCII, nonASCII, true},
		{"non-ASCII differs in last rune", nonASCII, strings.TrimSuffix(nonASCII, "🔑") + "🔒", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encoded := hashOf(t, h, tt.hashed)
			ok, rehash, err := h.Verify(ctx, encoded, tt.tried)
			if err != nil || ok != tt.want || rehash {
				t.Errorf("Verify = %v, %v, %v; want %v, false, nil", ok, rehash, err, tt.want)
			}
		})
	}
}

func TestHashIsSalted(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 0)
	if a, b := hashOf(t, h, "same password"), hashOf(t, h, "same password"); a == b {
		t.Errorf("two hashes of one password are equal: %s", a)
	}
}

func TestHashFormat(t *testing.T) {
	t.Parallel()
	encoded := hashOf(t, NewHasher(cheap, 0), "correct horse battery")
	f := strings.Split(encoded, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != "v=19" || f[3] != "m=64,t=1,p=1" {
		t.Fatalf("hash = %q; want $argon2id$v=19$m=64,t=1,p=1$<salt>$<key>", encoded)
	}
	// 16 and 32 bytes in unpadded standard base64.
	if len(f[4]) != 22 || len(f[5]) != 43 || strings.ContainsAny(f[4]+f[5], "=-_") {
		t.Errorf("salt %q, key %q; want 22 and 43 unpadded standard base64 characters", f[4], f[5])
	}
}

func TestDefaultParams(t *testing.T) {
	t.Parallel()
	encoded := hashOf(t, NewHasher(DefaultParams, 0), "correct horse battery")
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %q; want parameters m=19456,t=2,p=1", encoded)
	}
}

// Hashes made by the reference C implementation (libargon2's
// argon2id_hash_encoded) must verify: stored hashes outlive this code and may
// come from elsewhere.
func TestVerifyReferenceVectors(t *testing.T) {
	t.Parallel()
	tests := []struct{ password, encoded string }{
		{"password", "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$cpx6VEQbwTVZvcpxNIxOVUWZ5xnAipUmAe1cg2GMG70"},
		{"correct horse battery", "$argon2id$v=19$m=256,t=2,p=2$MDEyMzQ1Njc4OWFiY2RlZg$UmMMA9eKaJeujd7Zk9VnfQwuMkyRD2XP/gZtZkkH4qc"},
	}
	h := NewHasher(cheap, 0)
	for _, tt := range tests {
		ok, _, err := h.Verify(context.Background(), tt.encoded, tt.password)
		if !ok || err != nil {
			t.Errorf("Verify(%q, %q) = %v, %v; want true, nil", tt.encoded, tt.password, ok, err)
		}
		if ok, _, _ := h.Verify(context.Background(), tt.encoded, tt.password+"x"); ok {
			t.Errorf("Verify(%q) accepts a wrong password", tt.encoded)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	current := NewHasher(p, 0)
	with := func(change func(*Params)) Params {
		q := p
		change(&q)
		return q
	}

	tests := []struct {
		name string
		made Params
		want bool
	}{
		{"same params", p, false},
		{"weaker time", with(func(q *Params) { q.Time = 1 }), true},
		{"less memory", with(func(q *Params) { q.Memory = 32 }), true},
		{"shorter salt", with(func(q *Params) { q.SaltLen = 8 }), true},
		{"shorter key", with(func(q *Params) { q.KeyLen = 16 }), true},
		{"more threads", with(func(q *Params) { q.Threads = 2 }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			encoded := hashOf(t, NewHasher(tt.made, 0), "correct horse battery")
			ok, rehash, err := current.Verify(ctx, encoded, "correct horse battery")
			if !ok || rehash != tt.want || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.want)
			}
			// A wrong password never asks for a rehash.
			if _, rehash, _ := current.Verify(ctx, encoded, "wrong password"); rehash {
				t.Error("needsRehash for a wrong password")
			}
		})
	}
}

func TestVerifyMalformed(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 0)
	good := hashOf(t, h, "correct horse battery")
	f := strings.Split(good, "$")
	salt, key := f[4], f[5]
	with := func(alg, version, cost, salt, key string) string {
		return strings.Join([]string{"", alg, version, cost, salt, key}, "$")
	}

	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"argon2i", with("argon2i", "v=19", "m=64,t=1,p=1", salt, key)},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"old version", with("argon2id", "v=16", "m=64,t=1,p=1", salt, key)},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key},
		{"missing key", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "")[:len(good)-len(key)-1]},
		{"empty key", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "")},
		{"extra field", good + "$x"},
		{"no leading $", strings.TrimPrefix(good, "$")},
		{"padded salt", with("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key)},
		{"url base64 salt", with("argon2id", "v=19", "m=64,t=1,p=1", "____________________AA", key)},
		{"bad base64 key", with("argon2id", "v=19", "m=64,t=1,p=1", salt, "!!"+key[2:])},
		{"params reordered", with("argon2id", "v=19", "t=1,m=64,p=1", salt, key)},
		{"param missing", with("argon2id", "v=19", "m=64,t=1", salt, key)},
		{"param extra", with("argon2id", "v=19", "m=64,t=1,p=1,x=1", salt, key)},
		{"param spaces", with("argon2id", "v=19", "m=64, t=1, p=1", salt, key)},
		{"param negative", with("argon2id", "v=19", "m=-64,t=1,p=1", salt, key)},
		{"memory max uint32", with("argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"memory over uint32", with("argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"memory 2 GiB", with("argon2id", "v=19", "m=2097152,t=1,p=1", salt, key)},
		{"memory below 8p", with("argon2id", "v=19", "m=7,t=1,p=1", salt, key)},
		{"time 0", with("argon2id", "v=19", "m=64,t=0,p=1", salt, key)},
		{"time 101", with("argon2id", "v=19", "m=64,t=101,p=1", salt, key)},
		{"time max uint32", with("argon2id", "v=19", "m=64,t=4294967295,p=1", salt, key)},
		{"threads 0", with("argon2id", "v=19", "m=64,t=1,p=0", salt, key)},
		{"threads 256", with("argon2id", "v=19", "m=2048,t=1,p=256", salt, key)},
		{"salt too short", with("argon2id", "v=19", "m=64,t=1,p=1", "c2FsdA", key)},
		{"key too long", with("argon2id", "v=19", "m=64,t=1,p=1", salt, strings.Repeat("A", 1400))},
		{"huge string", good + strings.Repeat("A", 1<<20)},
		{"many dollars", strings.Repeat("$", 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(context.Background(), tt.encoded, "correct horse battery")
			if err == nil || ok || rehash {
				t.Errorf("Verify(%.80q) = %v, %v, %v; want an error", tt.encoded, ok, rehash, err)
			}
		})
	}
}

func TestNewHasherBadParams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, p := range []Params{
		{},
		{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 2},
		{Memory: 2 << 20, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
	} {
		h := NewHasher(p, 1)
		if _, err := h.Hash(ctx, "correct horse battery"); err == nil {
			t.Errorf("Hash with %+v: no error", p)
		}
		if err := h.VerifyDummy(ctx, "correct horse battery"); err == nil {
			t.Errorf("VerifyDummy with %+v: no error", p)
		}
	}
}

func TestVerifyDummy(t *testing.T) {
	t.Parallel()
	h := NewHasher(cheap, 0)
	if err := h.VerifyDummy(context.Background(), "correct horse battery"); err != nil {
		t.Fatalf("VerifyDummy: %v", err)
	}
	// The dummy is a well-formed hash with h's params, so it costs a real Verify.
	p, _, _, err := decodeHash(h.dummy)
	if err != nil || p != cheap {
		t.Errorf("dummy hash %q decodes to %+v, %v; want %+v", h.dummy, p, err, cheap)
	}
}

func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	if got, want := NewHasher(cheap, 0).slots, runtime.GOMAXPROCS(0); got != want {
		t.Errorf("default slots = %d; want %d", got, want)
	}

	h := NewHasher(cheap, 1)
	encoded := hashOf(t, h, "correct horse battery")
	// Hold the only slot, as a long-running hash would.
	if err := h.sem.Acquire(context.Background(), 1); err != nil {
		t.Fatal(err)
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(cancelled, "correct horse battery"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with the slot held and a cancelled context: %v; want context.Canceled", err)
	}
	if _, _, err := h.Verify(cancelled, encoded, "correct horse battery"); !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with the slot held and a cancelled context: %v; want context.Canceled", err)
	}
	if err := h.VerifyDummy(cancelled, "correct horse battery"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy with the slot held and a cancelled context: %v; want context.Canceled", err)
	}

	// A caller already waiting gives up when its context ends.
	waiting, cancelWaiting := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(waiting, "correct horse battery")
		done <- err
	}()
	cancelWaiting()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("waiting Hash after cancel: %v; want context.Canceled", err)
	}

	// A patient caller runs once the slot is free.
	go func() {
		_, err := h.Hash(context.Background(), "correct horse battery")
		done <- err
	}()
	h.sem.Release(1)
	if err := <-done; err != nil {
		t.Errorf("Hash after the slot was released: %v", err)
	}
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, password, wantErr string
	}{
		{"8 ASCII", "abcdefgh", ""},
		{"7 ASCII", "abcdefg", "password must be at least 8 characters"},
		{"empty", "", "password must be at least 8 characters"},
		{"7 runes in 14 bytes", strings.Repeat("é", 7), "password must be at least 8 characters"},
		{"8 runes", strings.Repeat("é", 8), ""},
		{"128 ASCII", strings.Repeat("a", 128), ""},
		{"128 four-byte runes", strings.Repeat("🔑", 128), ""},
		{"129 ASCII", strings.Repeat("a", 129), "password must be at most 128 characters"},
		{"129 runes", strings.Repeat("é", 129), "password must be at most 128 characters"},
		{"a megabyte", strings.Repeat("a", 1<<20), "password must be at most 128 characters"},
		{"invalid UTF-8", "abcdefgh\xff", "password must be valid UTF-8 text"},
		{"spaces count", "        ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPassword(tt.password)
			if got := errString(err); got != tt.wantErr {
				t.Errorf("CheckPassword = %q; want %q", got, tt.wantErr)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func BenchmarkHashDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := NewHasher(DefaultParams, 0)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse battery")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, encoded, "correct horse battery"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
