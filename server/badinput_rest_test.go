package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hiremebahamas/api/server/internal/servertest"
)

// matches checks how many items a list answer has: none for a search
// whose words match nothing (had SQL in it run, it would match all), all of
// them for one with no words at all, since syntax characters only separate
// words.
func matches(list string, want int) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		var page map[string]json.RawMessage
		var items []json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%v: %.300s", err, body)
		}
		if err := json.Unmarshal(page[list], &items); err != nil {
			t.Fatalf("%s: %v: %.300s", list, err, body)
		}
		if got := len(items); got != want {
			t.Errorf("%d %s; want %d", got, list, want)
		}
	}
}

func nested(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func badRESTCases(b *servertest.Board, f *badInputFixtures) []restCase {
	emp, seeker := f.employerAuth, f.seekerAuth
	admin := []string{"Authorization", "Bearer " + f.adminToken}
	job := `"description":"Cook.","company":"Graycliff","category":"JOB_CATEGORY_HOSPITALITY","employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_NEW_PROVIDENCE"`
	withJob := func(fields string) string { return "{" + fields + "," + job + "}" }
	register := func(email, first string) string {
		b, _ := json.Marshal(map[string]any{"email": email, "password": servertest.Password, "first_name": first, "last_name": "L", "role": "ROLE_JOB_SEEKER"})
		return string(b)
	}
	jobID, appID := f.jobs[0].Id, f.application
	q := url.QueryEscape
	const (
		bad     = http.StatusBadRequest
		unauth  = http.StatusUnauthorized
		invJSON = "INVALID_JSON"
		invArg  = "INVALID_ARGUMENT" // protovalidate's violations and the gateway's parameter parsing
		badTok  = "TOKEN_INVALID"
		tooBig  = http.StatusRequestHeaderFieldsTooLarge

		unsupported = http.StatusUnsupportedMediaType
		badType     = "UNSUPPORTED_MEDIA_TYPE"
	)
	post := func(name, body string, status int, reason, message string) restCase {
		return restCase{name: name, method: http.MethodPost, path: "/api/v1/jobs", body: body, header: emp, status: status, reason: reason, message: message}
	}
	get := func(name, path string, status int, reason, message string, header ...string) restCase {
		return restCase{name: name, method: http.MethodGet, path: path, header: header, status: status, reason: reason, message: message}
	}
	ok := func(name, path, list string, want int, header ...string) restCase {
		return restCase{name: name, method: http.MethodGet, path: path, header: header, status: http.StatusOK, check: matches(list, want)}
	}
	allJobs := len(f.jobs)
	authz := func(value string) []string { return []string{"Authorization", value} }

	return []restCase{
		// Malformed JSON.
		post("truncated JSON", `{"title":`, bad, invJSON, "not JSON: unexpected end of JSON input"),
		post("not JSON at all", `not json`, bad, invJSON, "not JSON"),
		post("trailing comma", `{"title":"Chef",}`, bad, invJSON, "at byte 17"),
		post("two documents", `{"title":"a"} {"title":"b"}`, bad, invJSON, "after top-level value"),
		post("null body", `null`, bad, invJSON, "unexpected token null"),
		post("duplicate field", withJob(`"title":"a","title":"b"`), bad, invJSON, `duplicate field "title"`),
		post("single quotes", `{'title':'Chef'}`, bad, invJSON, "not JSON"),
		post("comment", "{/* hi */}", bad, invJSON, "not JSON"),

		// Wrong JSON types.
		post("number for string", withJob(`"title":123`), bad, invJSON, "string field title"),
		post("object for string", withJob(`"title":{"a":1}`), bad, invJSON, "string field title"),
		post("array for string", withJob(`"title":["Chef"]`), bad, invJSON, "string field title"),
		post("string for number", withJob(`"title":"Chef","salary":{"min":"lots"}`), bad, invJSON, "double field min"),
		post("string for bool", withJob(`"title":"Chef","remote":"yes"`), bad, invJSON, "bool field remote"),
		post("number for message", withJob(`"title":"Chef","salary":5`), bad, invJSON, "unexpected token 5"),
		post("string for list", withJob(`"title":"Chef","skills":"cooking"`), bad, invJSON, "unexpected token"),
		post("fraction for enum", withJob(`"title":"Chef","salary":{"period":1.5}`), bad, invJSON, "period"),
		post("bad timestamp", withJob(`"title":"Chef","expire_time":"yesterday"`), bad, invJSON, "Timestamp"),
		post("timestamp past year 9999", withJob(`"title":"Chef","expire_time":"10000-01-01T00:00:00Z"`), bad, invJSON, "Timestamp"),
		post("expiry at the end of year 9999", withJob(`"title":"Chef","expire_time":"9999-12-31T23:59:59Z"`), bad, "INVALID_JOB_EXPIRE_TIME", "job.expire_time"),
		post("number beyond float64", withJob(`"title":"Chef","salary":{"min":1e400}`), bad, invJSON, "double field min"),

		// Unknown and out-of-range enum values.
		post("unknown enum name", `{"title":"Chef","category":"JOB_CATEGORY_SPACE"}`, bad, invJSON, "enum field category"),
		post("enum number out of range", `{"title":"Chef","description":"Cook.","category":99,"employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_EXUMA"}`,
			bad, invArg, "job.category"),
		get("unknown enum in query", "/api/v1/jobs?island=ISLAND_ATLANTIS", bad, invArg, `"island"`),
		get("enum number in query", "/api/v1/jobs?island=99", bad, invArg, `"island"`),
		{name: "role not open to sign-up", method: http.MethodPost, path: "/api/v1/auth/register", status: bad, reason: invArg, message: "role",
			body: `{"email":"x@example.com","password":"correct horse battery","first_name":"A","last_name":"B","role":"ROLE_ADMIN"}`},
		{name: "application status not a move", method: http.MethodPatch, path: "/api/v1/applications/" + appID, header: emp,
			body: `{"status":"APPLICATION_STATUS_SUBMITTED"}`, status: bad, reason: invArg, message: "status"},

		// Huge input.
		post("100,000-character title", withJob(`"title":"`+strings.Repeat("t", 100_000)+`"`), bad, invArg, "job.title"),
		post("body over 1 MiB", withJob(`"title":"Chef","benefits":"`+strings.Repeat("b", 1<<20)+`"`), http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "1 MiB"),
		get("10,000-character search", "/api/v1/jobs?q="+strings.Repeat("q", 10_000), bad, invArg, "q"),

		// Invalid UTF-8, in bodies, queries and paths.
		post("invalid UTF-8 in a JSON string", withJob("\"title\":\"Chef \xff\xfe\""), bad, invJSON, "invalid UTF-8"),
		post("lone surrogate escape", withJob(`"title":"Chef \udc00"`), bad, invJSON, `invalid escape code`),
		post("lone surrogate escape at the end", `{"title":"\udc00"}`, bad, invJSON, `\u escape`),
		get("invalid UTF-8 in q", "/api/v1/jobs?q=%ff", bad, "INVALID_UTF8", "q: must be valid UTF-8"),
		get("invalid UTF-8 in page_token", "/api/v1/jobs?page_token=%c3", bad, "INVALID_UTF8", "page_token"),
		get("invalid UTF-8 in a path id", "/api/v1/jobs/%ff", bad, "INVALID_UTF8", "id: must be valid UTF-8"),
		get("invalid UTF-8 in a talent search", "/api/v1/users?q=bar%fftender", bad, "INVALID_UTF8", "q", emp...),
		get("truncated UTF-8 in skill", "/api/v1/users?skill=caf%c3", bad, "INVALID_UTF8", "skill", emp...),
		get("malformed percent-encoding", "/api/v1/jobs?q=%zz", bad, invArg, `invalid URL escape "%zz"`),

		// page_size.
		get("negative page_size", "/api/v1/jobs?page_size=-1", bad, invArg, "page_size"),
		get("page_size above 100", "/api/v1/jobs?page_size=101", bad, invArg, "page_size"),
		get("largest int32 page_size", "/api/v1/jobs?page_size=2147483647", bad, invArg, "page_size"),
		get("page_size beyond int32", "/api/v1/jobs?page_size=99999999999", bad, invArg, "page_size"),
		get("page_size not a number", "/api/v1/jobs?page_size=twenty", bad, invArg, "page_size"),
		get("negative page_size of saved jobs", "/api/v1/users/me/saved-jobs?page_size=-5", bad, invArg, "page_size", seeker...),
		get("huge page_size of users", "/api/v1/users?page_size=1000000", bad, invArg, "page_size", emp...),

		// Page tokens.
		get("garbage page token", "/api/v1/jobs?page_size=1&page_token=garbage", bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("truncated page token", "/api/v1/jobs?page_size=1&page_token="+f.jobsToken[:len(f.jobsToken)-3], bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("tampered page token", "/api/v1/jobs?page_size=1&page_token="+f.tamperedSQL, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("page token of another order", "/api/v1/jobs?page_size=1&order_by=salary&page_token="+f.jobsToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("page token of another filter", "/api/v1/jobs?page_size=1&island=ISLAND_EXUMA&page_token="+f.jobsToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("users page token for jobs", "/api/v1/jobs?page_size=1&page_token="+f.usersToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("another user's saved-jobs token", "/api/v1/users/me/saved-jobs?page_token="+f.savedToken, bad, "INVALID_PAGE_TOKEN", "page_token", emp...),
		get("applications token for saved jobs", "/api/v1/users/me/saved-jobs?page_token="+f.myAppsToken, bad, "INVALID_PAGE_TOKEN", "page_token", seeker...),
		get("page token over 512 characters", "/api/v1/jobs?page_token="+strings.Repeat("A", 513), bad, invArg, "page_token"),

		// SQL metacharacters and NUL: text is text, and NUL is refused.
		ok("SQL in q", "/api/v1/jobs?q="+q("' OR 1=1 --"), "jobs", 0),
		ok("SQL with a word that matches", "/api/v1/jobs?q="+q("cook' OR 'x'='x"), "jobs", 0),
		ok("percent in q", "/api/v1/jobs?q="+q("%"), "jobs", allJobs),
		ok("underscore in q", "/api/v1/jobs?q=_", "jobs", allJobs),
		ok("backslash in q", "/api/v1/jobs?q="+q(`\\`), "jobs", allJobs),
		ok("tsquery syntax in q", "/api/v1/jobs?q="+q(`cook:* | !(dive) <-> 'x'`), "jobs", 0),
		ok("quote and semicolon in q", "/api/v1/jobs?q="+q(`'; DROP TABLE jobs; --`), "jobs", 0),
		ok("SQL in a talent search", "/api/v1/users?q="+q("' OR 1=1 --"), "users", 0, emp...),
		ok("percent in skill", "/api/v1/users?skill="+q("%"), "users", 0, emp...),
		get("NUL in q", "/api/v1/jobs?q=chef%00", bad, "NUL_CHARACTER", "q: must not contain NUL"),
		get("NUL in a talent search", "/api/v1/users?q=%00", bad, "NUL_CHARACTER", "q", emp...),
		get("NUL in skill", "/api/v1/users?skill=go%00", bad, "NUL_CHARACTER", "skill", emp...),
		get("SQL as an id", "/api/v1/jobs/"+url.PathEscape("' OR 1=1 --"), bad, invArg, "id: must be a valid UUID"),
		get("percent as an id", "/api/v1/jobs/%25", bad, invArg, "id"),
		get("underscore as an id", "/api/v1/jobs/_", bad, invArg, "id"),
		get("backslash as an id", "/api/v1/jobs/%5C", bad, invArg, "id"),
		get("NUL as an id", "/api/v1/jobs/%00", bad, "NUL_CHARACTER", "id"),
		get("SQL as employer_id", "/api/v1/jobs?employer_id="+q("' OR 1=1 --"), bad, invArg, "employer_id"),
		{name: "SQL as a sign-in email", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"' OR 1=1 --","password":"x"}`,
			status: unauth, reason: "INVALID_CREDENTIALS", message: "email or password"},
		{name: "NUL in a sign-in email", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"a\u0000@example.com","password":"x"}`,
			status: bad, reason: "NUL_CHARACTER", message: "email"},
		{name: "SQL as a sign-up email", method: http.MethodPost, path: "/api/v1/auth/register", body: register("' OR 1=1 --@example.com", "A"),
			status: bad, reason: "INVALID_EMAIL", message: "email"},
		{name: "NUL in a name", method: http.MethodPost, path: "/api/v1/auth/register", body: register(servertest.NewEmail("nul"), "A\x00"),
			status: bad, reason: "NUL_CHARACTER", message: "first_name"},
		{name: "NUL in a headline", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"headline":"x\u0000y"}`,
			status: bad, reason: "NUL_CHARACTER", message: "user.headline"},
		post("NUL in a title", withJob(`"title":"Chef\u0000"`), bad, "NUL_CHARACTER", "job.title"),
		{name: "NUL in a cover letter", method: http.MethodPost, path: "/api/v1/jobs/" + f.jobs[2].Id + "/applications", header: seeker,
			body: `{"cover_letter":"Hi\u0000"}`, status: bad, reason: "NUL_CHARACTER", message: "cover_letter"},

		// Text people could not read as stored: invisible, blank, reordered.
		{name: "zero-width space as a name", method: http.MethodPost, path: "/api/v1/auth/register", body: register(servertest.NewEmail("zw"), "\u200b"),
			status: bad, reason: "INVALID_FIRST_NAME", message: "first_name: must not contain invisible or direction-changing characters (U+200B)"},
		{name: "right-to-left override in a sign-up email", method: http.MethodPost, path: "/api/v1/auth/register", body: register("ada\u202e@example.com", "A"),
			status: bad, reason: "INVALID_EMAIL", message: "email: must not contain invisible or direction-changing characters (U+202E)"},
		post("Hangul filler as a title", withJob(`"title":"\u3164"`), bad, "INVALID_JOB_TITLE", "job.title: must not contain invisible or direction-changing characters (U+3164)"),
		post("isolates in a description", `{"title":"Chef","description":"Cook \u2066now\u2069","company":"Graycliff","category":"JOB_CATEGORY_HOSPITALITY",`+
			`"employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_NEW_PROVIDENCE"}`, bad, "INVALID_JOB_DESCRIPTION",
			"job.description: must not contain direction-changing characters (U+2066)"),
		{name: "terminal escape in a headline", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"headline":"Chef\u001b[31m"}`,
			status: bad, reason: "INVALID_USER_HEADLINE", message: "user.headline: must not contain control characters (U+001B)"},

		{name: "SQL as a refresh token", method: http.MethodPost, path: "/api/v1/auth/refresh", body: `{"refresh_token":"' OR 1=1 --"}`,
			status: unauth, reason: "REFRESH_TOKEN_INVALID", message: "refresh token"},
		{name: "garbage refresh cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", header: []string{"Cookie", "hmb_refresh=%ff%00'--"},
			status: unauth, reason: "REFRESH_TOKEN_INVALID", message: "refresh token"},
		{name: "refresh with neither token nor cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", body: "{}",
			status: unauth, reason: "REFRESH_TOKEN_MISSING", message: "no refresh token was sent"},
		{name: "refresh with an empty cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", header: []string{"Cookie", "hmb_refresh="},
			status: unauth, reason: "REFRESH_TOKEN_MISSING", message: "may be blocking the cookie"},

		// Deep nesting.
		post("10,000 nested arrays", nested("[", "]", 10_000, ""), bad, invJSON, "unexpected token ["),
		post("9,999 nested objects in an unknown field", `{"a":`+nested(`{"a":`, "}", 9_998, "1")+"}", bad, invJSON, `unknown field "a"`),
		post("9,999 nested arrays as a title", `{"title":`+nested("[", "]", 9_999, "")+"}", bad, invJSON, "string field title"),
		post("10,000 nested salaries", withJob(`"title":"Chef","salary":`+nested(`{"salary":`, "}", 10_000, "{}")), bad, invJSON, "nested more than 10000 levels"),
		post("100,000 nested arrays", nested("[", "]", 100_000, ""), bad, invJSON, "nested more than 10000 levels"),

		// Long and oversized headers.
		{name: "10,000-character X-Request-Id", method: http.MethodGet, path: "/api/v1/jobs/not-a-uuid", header: []string{"X-Request-Id", strings.Repeat("r", 10_000)},
			status: bad, reason: invArg, message: "id"},
		get("10,000-character custom header", "/api/v1/users/me", unauth, "MISSING_TOKEN", "sign in", "X-Hmb-Note", strings.Repeat("n", 10_000)),
		get("10,000-character Authorization", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+strings.Repeat("a", 10_000))...),
		get("100 KB header", "/api/v1/jobs", tooBig, "", "", "X-Hmb-Note", strings.Repeat("n", 100_000)),
		get("1 MB header", "/api/v1/jobs", tooBig, "", "", "X-Hmb-Note", strings.Repeat("n", 1<<20)),
		get("100 KB URL", "/api/v1/jobs?q="+strings.Repeat("q", 100_000), tooBig, "", ""),

		// Malformed Authorization headers, on a protected and a public route.
		get("Bearer alone", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer")...),
		get("Basic credentials", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Basic dXNlcjpwYXNz")...),
		get("two tokens in one header", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+f.employerToken+" "+f.employerToken)...),
		get("two Authorization headers", "/api/v1/users/me", unauth, badTok, "one Authorization header",
			append(authz("Bearer "+f.employerToken), authz("Bearer "+f.employerToken)...)...),
		get("non-ASCII token", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer é.é.é")...),
		get("non-ASCII token on a public route", "/api/v1/jobs", unauth, badTok, "bearer token", authz("Bearer é.é.é")...),
		get("tab after Bearer", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer\t"+f.employerToken)...),
		get("JWT with alg none", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+f.algNone)...),
		get("tampered signature", "/api/v1/users/me", unauth, badTok, "not valid", authz("Bearer "+f.forged)...),
		get("expired token", "/api/v1/users/me", unauth, "TOKEN_EXPIRED", "expired", authz("Bearer "+f.expired)...),
		get("bad token on a public route", "/api/v1/jobs", unauth, badTok, "not valid", authz("Bearer "+f.forged)...),

		// Ids that are not ids.
		get("number as an id", "/api/v1/jobs/1", bad, invArg, "id: must be a valid UUID"),
		get("word as an id", "/api/v1/users/not-a-uuid", bad, invArg, "id"),
		get("UUID with a digit too many", "/api/v1/users/12345678-1234-1234-1234-1234567890123", bad, invArg, "id"),
		get("nil UUID", "/api/v1/jobs/00000000-0000-0000-0000-000000000000", http.StatusNotFound, "JOB_NOT_FOUND", "no such job"),
		{name: "saving a non-id", method: http.MethodPut, path: "/api/v1/users/me/saved-jobs/1%3B1", header: seeker, status: bad, reason: invArg, message: "job_id"},
		{name: "deleting a non-id", method: http.MethodDelete, path: "/api/v1/jobs/1", header: emp, status: bad, reason: invArg, message: "id"},
		{name: "moving a non-id", method: http.MethodPatch, path: "/api/v1/applications/xyz", header: emp, body: `{"status":"APPLICATION_STATUS_REVIEWING"}`,
			status: bad, reason: invArg, message: "id"},
		{name: "withdrawing a non-id", method: http.MethodPost, path: "/api/v1/applications/xyz:withdraw", header: seeker, status: bad, reason: invArg, message: "id"},
		{name: "deactivating a non-id", method: http.MethodPost, path: "/api/v1/users/xyz:deactivate", header: admin, status: bad, reason: invArg, message: "id"},

		// Paths that try to climb.
		get("encoded slashes", "/api/v1/jobs/..%2F..%2Fusers", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),
		get("encoded dots", "/api/v1/jobs/%2e%2e", bad, invArg, "id"),
		get("dot segments", "/api/v1/users/me/../../jobs", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),
		get("double-encoded slashes", "/api/v1/jobs/..%252F..", bad, invArg, "id"),
		get("traversal to a file", "/api/v1/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),

		// Unknown fields: refused in JSON, so that a misspelt field is never
		// silently dropped; unknown query parameters are ignored.
		post("unknown field", withJob(`"title":"Chef","salary_maximum":5`), bad, invJSON, `unknown field "salary_maximum"`),
		post("unknown nested field", withJob(`"title":"Chef","salary":{"min":1,"bonus":2}`), bad, invJSON, `unknown field "bonus"`),
		{name: "read-only field in a profile", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"role":"ROLE_ADMIN"}`,
			status: bad, reason: "INVALID_UPDATE_MASK", message: "role cannot be changed"},
		ok("unknown query parameter is ignored", "/api/v1/jobs?utm_source=mail", "jobs", allJobs),

		// Content types: a body must be labelled JSON, which a form on
		// another site cannot send; nothing else is decoded.
		{name: "XML body", method: http.MethodPost, path: "/api/v1/jobs", body: `<job><title>Chef</title></job>`,
			header: append([]string{"Content-Type", "application/xml"}, emp...), status: unsupported, reason: badType, message: `"application/xml" is not supported; send the body as application/json`},
		{name: "form-encoded body", method: http.MethodPost, path: "/api/v1/jobs", body: "title=Chef&description=Cook",
			header: append([]string{"Content-Type", "application/x-www-form-urlencoded"}, emp...), status: unsupported, reason: badType, message: `"application/x-www-form-urlencoded"`},
		{name: "form-encoded sign-in", method: http.MethodPost, path: "/api/v1/auth/login", body: "email=" + q(b.Employer.User.Email) + "&password=" + q(servertest.Password),
			header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: unsupported, reason: badType, message: `"application/x-www-form-urlencoded"`},
		{name: "multipart body", method: http.MethodPost, path: "/api/v1/jobs", body: "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nChef\r\n--x--\r\n",
			header: append([]string{"Content-Type", "multipart/form-data; boundary=x"}, emp...), status: unsupported, reason: badType, message: `"multipart/form-data; boundary=x"`},
		{name: "JSON labelled text/plain", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "text/plain"}, emp...), status: unsupported, reason: badType, message: `"text/plain"`},
		{name: "sign-in JSON labelled text/plain", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"` + b.Employer.User.Email + `","password":"` + servertest.Password + `"}`,
			header: []string{"Content-Type", "text/plain;charset=UTF-8"}, status: unsupported, reason: badType, message: `"text/plain;charset=UTF-8"`},
		{name: "JSON without a Content-Type", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`), header: emp, unlabelled: true,
			status: unsupported, reason: badType, message: "a body but no Content-Type; send the body as application/json"},
		{name: "a profile without a Content-Type", method: http.MethodPatch, path: "/api/v1/users/me", body: `{"headline":"x"}`, header: emp, unlabelled: true,
			status: unsupported, reason: badType, message: "no Content-Type"},
		{name: "JSON look-alike type", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "application/jsonx"}, emp...), status: unsupported, reason: badType, message: `"application/jsonx"`},
		{name: "type that does not parse", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "application/json/x"}, emp...), status: unsupported, reason: badType, message: `"application/json/x"`},
		{name: "a type without a body", method: http.MethodDelete, path: "/api/v1/users/me/saved-jobs/" + jobID,
			header: append([]string{"Content-Type", "text/plain"}, seeker...), status: unsupported, reason: badType, message: `"text/plain"`},
		{name: "JSON with a charset", method: http.MethodPost, path: "/api/v1/jobs", body: `{"title":"Chef","category":"JOB_CATEGORY_SPACE"}`,
			header: append([]string{"Content-Type", "application/json; charset=utf-8"}, emp...), status: bad, reason: invJSON, message: "enum field category"},

		// Other malformed parameters.
		get("bool that is not one", "/api/v1/jobs?remote=maybe", bad, invArg, `"remote"`),
		get("NaN salary", "/api/v1/jobs?salary_min=NaN", bad, invArg, "salary_min"),
		get("posted within a year and a day", "/api/v1/jobs?posted_within_days=366", bad, invArg, "posted_within_days"),
		get("unknown order", "/api/v1/jobs?order_by=cheapest", bad, invArg, "order_by"),
		get("relevance without words", "/api/v1/jobs?order_by=relevance&q="+q("'--"), bad, "INVALID_ORDER_BY", "order_by"),
		{name: "update_mask naming nothing real", method: http.MethodPatch, path: "/api/v1/jobs/" + jobID + "?update_mask=owner", header: emp,
			body: `{"title":"x"}`, status: bad, reason: "INVALID_UPDATE_MASK", message: `"owner"`},
		{name: "invalid UTF-8 in update_mask", method: http.MethodPatch, path: "/api/v1/jobs/" + jobID + "?update_mask=%ff", header: emp,
			body: `{"title":"x"}`, status: bad, reason: "INVALID_UTF8", message: "update_mask.paths[0]"},
	}
}
