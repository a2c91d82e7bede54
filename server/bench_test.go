package server_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server"
	"github.com/hiremebahamas/api/store"
)

// BenchmarkGRPCHealth compares ways of serving gRPC: on the shared port
// through the connection splitter (what the service does), natively on a
// listener of its own, and inside net/http with grpc.Server.ServeHTTP (the
// usual way to share a port). 16 concurrent calls on one connection.
func BenchmarkGRPCHealth(b *testing.B) {
	b.Run("splitter", func(b *testing.B) {
		s := startBench(b)
		benchHealth(b, s.app.Addr().String())
	})
	b.Run("native", func(b *testing.B) {
		lis, srv := plainHealthServer(b)
		go srv.Serve(lis)
		defer srv.Stop()
		benchHealth(b, lis.Addr().String())
	})
	b.Run("servehttp", func(b *testing.B) {
		lis, srv := plainHealthServer(b)
		var protocols http.Protocols
		protocols.SetUnencryptedHTTP2(true)
		hs := &http.Server{Handler: srv, Protocols: &protocols}
		go hs.Serve(lis)
		defer hs.Close()
		benchHealth(b, lis.Addr().String())
	})
}

// BenchmarkRESTHealth measures GET /health over HTTP/1.1 keep-alive: the
// whole REST path, gateway and in-process gRPC call included.
func BenchmarkRESTHealth(b *testing.B) {
	s := startBench(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(s.base + "/health")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

func startBench(b *testing.B) *service {
	cfg := testConfig(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn // as in production load: request lines are not what is measured
	return start(b, cfg)
}

func plainHealthServer(b *testing.B) (net.Listener, *grpc.Server) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	grpc_health_v1.RegisterHealthServer(srv, health.NewServer())
	return lis, srv
}

func benchHealth(b *testing.B, addr string) {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	client := grpc_health_v1.NewHealthClient(conn)
	ctx := context.Background()
	if _, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(8) // 8 × GOMAXPROCS(2) = 16 concurrent calls
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLogin measures sign-in throughput over gRPC: dominated by one
// argon2id verification per call, by design.
func BenchmarkLogin(b *testing.B) {
	s := startBench(b)
	email := newEmail("bench")
	authc := hmbv1.NewAuthServiceClient(s.conn)
	if _, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
		Email: email, Password: testPassword, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
	}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: testPassword}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRefresh measures refresh-token rotation over gRPC: one
// conditional UPDATE, one INSERT and a signed JWT per call.
func BenchmarkRefresh(b *testing.B) {
	s := startBench(b)
	authc := hmbv1.NewAuthServiceClient(s.conn)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sess, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
			Email: newEmail("bench"), Password: testPassword, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
		})
		if err != nil {
			b.Error(err)
			return
		}
		token := sess.RefreshToken
		for pb.Next() {
			next, err := authc.Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: token})
			if err != nil {
				b.Error(err)
				return
			}
			token = next.RefreshToken
		}
	})
}

// BenchmarkLoginFailure shows an unknown email and a wrong password cost
// the same, so response time does not reveal which accounts exist.
func BenchmarkLoginFailure(b *testing.B) {
	cfg := testConfig(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn
	cfg.LoginMaxFailures, cfg.LoginMaxPerAddress = 1<<30, 0
	s := start(b, cfg)
	authc := hmbv1.NewAuthServiceClient(s.conn)
	known := newEmail("bench")
	if _, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
		Email: known, Password: testPassword, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
	}); err != nil {
		b.Fatal(err)
	}
	for name, email := range map[string]string{"unknown_email": newEmail("nobody"), "wrong_password": known} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: "not the password"}); err == nil {
					b.Fatal("signed in")
				}
			}
		})
	}
}

// BenchmarkRESTListJobs measures a page of 20 open jobs on one island over
// HTTP/1.1 keep-alive, from a board of 2,000 seeded jobs.
func BenchmarkRESTListJobs(b *testing.B) {
	cfg := testConfig(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn
	st := openStore(b, cfg.DatabaseURL)
	if _, err := st.Seed(context.Background(), store.SeedOptions{Jobs: 2000, Users: 100, Seed: 1}, func(string) {}); err != nil {
		b.Fatal(err)
	}
	s := start(b, cfg)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(s.base + "/api/v1/jobs?island=ISLAND_EXUMA")
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
}

// BenchmarkSignedInCall measures a signed-in call that reads the caller's
// own data (ListSavedJobs over gRPC, 8 at a time): with authorize's look at
// the account, the price of revocation taking effect at once.
func BenchmarkSignedInCall(b *testing.B) {
	s := startBench(b)
	ctx := withToken(s.register(b, hmbv1.Role_ROLE_JOB_SEEKER).AccessToken)
	jobs := hmbv1.NewJobServiceClient(s.conn)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHTTP1Framing measures the framing checks every HTTP/1.x request
// passes through, per request: a browser's GET as a proxy forwards it, or a
// POST with a JSON body, arriving one per read or eight pipelined in one; and
// the same through net/http's request parser, to set the checks beside what
// net/http does with each request anyway. "unchecked" reads the same bytes
// without the checks.
func BenchmarkHTTP1Framing(b *testing.B) {
	get := "GET /api/v1/jobs?q=chef&island=ISLAND_NEW_PROVIDENCE&page_size=20 HTTP/1.1\r\n" +
		"Host: api.hiremebahamas.com\r\n" +
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36\r\n" +
		"Accept: application/json\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: en-US,en;q=0.9\r\n" +
		"Authorization: Bearer " + strings.Repeat("eyJhbGciOiJIUzI1NiJ9", 12) + "\r\n" +
		"Origin: https://hiremebahamas.com\r\nReferer: https://hiremebahamas.com/jobs\r\n" +
		"X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Request-Id: 01HZY3K4Q5W6E7R8T9Y0U1I2O3\r\n\r\n"
	body := `{"title":"Line cook","description":"Breakfast shifts at a Cable Beach resort.","category":"JOB_CATEGORY_HOSPITALITY"}`
	post := "POST /api/v1/jobs HTTP/1.1\r\nHost: api.hiremebahamas.com\r\nContent-Type: application/json\r\n" +
		"Authorization: Bearer " + strings.Repeat("eyJhbGciOiJIUzI1NiJ9", 12) + "\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
	for _, bc := range []struct {
		name     string
		read     string // what one read of the connection returns
		requests int
	}{
		{"GET", get, 1},
		{"POST", post, 1},
		{"8 pipelined GETs", strings.Repeat(get, 8), 8},
	} {
		for _, checked := range []bool{true, false} {
			name := bc.name
			if !checked {
				name += " unchecked"
			}
			conn := func() io.Reader {
				var r io.Reader = &repeatedReads{read: []byte(bc.read)}
				if checked {
					r = server.NewFramingReader(r, 64<<10)
				}
				return r
			}
			b.Run(name, func(b *testing.B) {
				r, buf := conn(), make([]byte, 4<<10)
				b.ReportAllocs()
				b.SetBytes(int64(len(bc.read) / bc.requests))
				for i := 0; i < b.N; i += bc.requests {
					for n := 0; n < len(bc.read); {
						k, err := r.Read(buf)
						if err != nil {
							b.Fatal(err)
						}
						n += k
					}
				}
			})
			b.Run(name+" parsed", func(b *testing.B) {
				br := bufio.NewReader(conn())
				b.ReportAllocs()
				for b.Loop() {
					req, err := http.ReadRequest(br)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, req.Body)
				}
			})
		}
	}
}

// repeatedReads is a connection that receives the same bytes again and
// again, returning them whole (when p has room) from each Read.
type repeatedReads struct {
	read []byte
	off  int
}

func (r *repeatedReads) Read(p []byte) (int, error) {
	n := copy(p, r.read[r.off:])
	r.off = (r.off + n) % len(r.read)
	return n, nil
}

// BenchmarkCrossReplicaStaleness measures how long another instance keeps
// serving a job after a write to it: from UpdateJob acknowledged by one
// instance to the first GetJob of the other, which had the job cached, that
// returns the new version (p50 and max in ms; -benchtime=200x for 200
// writes), with the other instance listening and polling. Writes come at
// random moments, up to 300 ms apart.
func BenchmarkCrossReplicaStaleness(b *testing.B) {
	for _, mode := range []string{"auto", "poll"} {
		b.Run(mode, func(b *testing.B) {
			cfg := testConfig(pgtest.NewDatabase(b))
			cfg.LogLevel = slog.LevelWarn
			writer := start(b, cfg)
			cfg.CacheInvalidation = mode
			reader := start(b, cfg)
			owner := withToken(writer.register(b, hmbv1.Role_ROLE_EMPLOYER).AccessToken)
			job, err := hmbv1.NewJobServiceClient(writer.conn).CreateJob(owner, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
				Title: "Ferry Deckhand", Description: "Nassau to Harbour Island.", Company: "Bahamas Fast Ferries",
				Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
				Island: hmbv1.Island_ISLAND_ELEUTHERA,
			}})
			if err != nil {
				b.Fatal(err)
			}
			writes, reads := hmbv1.NewJobServiceClient(writer.conn), hmbv1.NewJobServiceClient(reader.conn)
			get := func() string {
				j, err := reads.GetJob(context.Background(), &hmbv1.GetJobRequest{Id: job.Id})
				if err != nil {
					b.Fatal(err)
				}
				return j.Title
			}
			// The reader's mode is settled (the probe takes a moment) before
			// anything is measured.
			time.Sleep(time.Second)
			var lags []time.Duration
			for i := 0; b.Loop(); i++ {
				get()
				get() // asked twice: cached
				// Writes fall anywhere between two polls, as they do in use.
				time.Sleep(rand.N(300 * time.Millisecond))
				title := "Ferry Deckhand " + strconv.Itoa(i)
				if _, err := writes.UpdateJob(owner, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: job.Id, Title: title},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}}); err != nil {
					b.Fatal(err)
				}
				acked := time.Now()
				for get() != title {
				}
				lags = append(lags, time.Since(acked))
			}
			slices.Sort(lags)
			ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(ms(lags[len(lags)/2]), "p50-ms")
			b.ReportMetric(ms(lags[len(lags)-1]), "max-ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}
