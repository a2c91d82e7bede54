package server_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
	"github.com/hiremebahamas/api/store"
)

// BenchmarkGRPCHealth compares ways of serving gRPC: on the shared port
// through the connection splitter (what the service does), natively on a
// listener of its own, and inside net/http with grpc.Server.ServeHTTP (the
// usual way to share a port). 16 concurrent calls on one connection.
func BenchmarkGRPCHealth(b *testing.B) {
	b.Run("splitter", func(b *testing.B) {
		s := startBench(b)
		benchHealth(b, s.App.Addr().String())
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
			resp, err := client.Get(s.Base + "/health")
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

func startBench(b *testing.B) *servertest.Service {
	cfg := servertest.Config(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn // as in production load: request lines are not what is measured
	return servertest.Start(b, cfg)
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
	email := servertest.NewEmail("bench")
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	if _, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
		Email: email, Password: servertest.Password, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
	}); err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: email, Password: servertest.Password}); err != nil {
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
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		sess, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
			Email: servertest.NewEmail("bench"), Password: servertest.Password, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
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
	cfg := servertest.Config(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn
	cfg.LoginMaxFailures, cfg.LoginMaxPerAddress = 1<<30, 0
	s := servertest.Start(b, cfg)
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	known := servertest.NewEmail("bench")
	if _, err := authc.Register(context.Background(), &hmbv1.RegisterRequest{
		Email: known, Password: servertest.Password, FirstName: "B", LastName: "M", Role: hmbv1.Role_ROLE_JOB_SEEKER,
	}); err != nil {
		b.Fatal(err)
	}
	for name, email := range map[string]string{"unknown_email": servertest.NewEmail("nobody"), "wrong_password": known} {
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
	cfg := servertest.Config(pgtest.NewDatabase(b))
	cfg.LogLevel = slog.LevelWarn
	st := servertest.OpenStore(b, cfg.DatabaseURL)
	if _, err := st.Seed(context.Background(), store.SeedOptions{Jobs: 2000, Users: 100, Seed: 1}, func(string) {}); err != nil {
		b.Fatal(err)
	}
	s := servertest.Start(b, cfg)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(s.Base + "/api/v1/jobs?island=ISLAND_EXUMA")
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
	ctx := servertest.WithToken(s.Register(b, hmbv1.Role_ROLE_JOB_SEEKER).AccessToken)
	jobs := hmbv1.NewJobServiceClient(s.Conn)
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

// BenchmarkCrossReplicaStaleness measures how long another instance keeps
// serving a job after a write to it: from UpdateJob acknowledged by one
// instance to the first GetJob of the other, which had the job cached, that
// returns the new version (p50 and max in ms; -benchtime=200x for 200
// writes), with the other instance listening and polling. Writes come at
// random moments, up to 300 ms apart.
func BenchmarkCrossReplicaStaleness(b *testing.B) {
	for _, mode := range []string{"auto", "poll"} {
		b.Run(mode, func(b *testing.B) {
			cfg := servertest.Config(pgtest.NewDatabase(b))
			cfg.LogLevel = slog.LevelWarn
			writer := servertest.Start(b, cfg)
			cfg.CacheInvalidation = mode
			reader := servertest.Start(b, cfg)
			owner := servertest.WithToken(writer.Register(b, hmbv1.Role_ROLE_EMPLOYER).AccessToken)
			job, err := hmbv1.NewJobServiceClient(writer.Conn).CreateJob(owner, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{
				Title: "Ferry Deckhand", Description: "Nassau to Harbour Island.", Company: "Bahamas Fast Ferries",
				Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME,
				Island: hmbv1.Island_ISLAND_ELEUTHERA,
			}})
			if err != nil {
				b.Fatal(err)
			}
			writes, reads := hmbv1.NewJobServiceClient(writer.Conn), hmbv1.NewJobServiceClient(reader.Conn)
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
