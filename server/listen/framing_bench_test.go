package listen_test

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hiremebahamas/api/server/listen"
)

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
					r = listen.NewFramingReader(r, 64<<10)
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
