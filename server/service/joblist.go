package service

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/store"
)

// jobListQuery is what a ListJobs page token is bound to.
type jobListQuery struct {
	Filter domain.JobFilter
	Order  string
}

// ListJobs answers from the board cache: a page of open jobs is the same
// for everyone who asks for it. Employers and admins get it as stored.
func (s *JobServer) ListJobs(ctx context.Context, req *hmbv1.ListJobsRequest) (*hmbv1.ListJobsResponse, error) {
	if readsPastCache(ctx) {
		return s.listJobs(ctx, req)
	}
	key, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return nil, err
	}
	return s.pages.Shared(ctx, string(key), func(ctx context.Context) (*hmbv1.ListJobsResponse, error) {
		return s.listJobs(ctx, req)
	})
}

// jobListPlan is a ListJobs request, checked, in the store's terms.
type jobListPlan struct {
	query jobListQuery
	after *domain.JobCursor
	page  page
}

// planJobList checks what of a ListJobs request needs no database and puts
// it in the store's terms.
func planJobList(req *hmbv1.ListJobsRequest) (jobListPlan, error) {
	f := domain.JobFilter{
		Query: strings.TrimSpace(req.GetQ()), Remote: req.Remote, SalaryMin: req.GetSalaryMin(),
		PostedWithinDays: int(req.GetPostedWithinDays()), EmployerID: req.GetEmployerId(),
	}
	for _, i := range req.GetIsland() {
		f.Islands = append(f.Islands, islandFromProto(i))
	}
	for _, c := range req.GetCategory() {
		f.Categories = append(f.Categories, categoryName(c))
	}
	for _, e := range req.GetEmploymentType() {
		f.EmploymentTypes = append(f.EmploymentTypes, employmentName(e))
	}
	order := req.GetOrderBy()
	if order == "" {
		order = domain.OrderNewest
		if store.TSQuery(f.Query) != "" {
			order = domain.OrderRelevance
		}
	}
	if order == domain.OrderRelevance && store.TSQuery(f.Query) == "" {
		return jobListPlan{}, invalidField("order_by", "relevance needs q")
	}
	query := jobListQuery{Filter: f, Order: order}
	pg, err := newPage(req.GetPageToken(), req.GetPageSize(), query)
	if err != nil {
		return jobListPlan{}, err
	}
	p := jobListPlan{query: query, page: pg}
	if t := pg.after; t != nil {
		p.after = &domain.JobCursor{Rank: t.Rank, Time: t.Time, Salary: t.Salary, ID: t.ID}
	}
	return p, nil
}

func (s *JobServer) listJobs(ctx context.Context, req *hmbv1.ListJobsRequest) (*hmbv1.ListJobsResponse, error) {
	p, err := planJobList(req)
	if err != nil {
		return nil, err
	}
	f, after := p.query.Filter, p.after
	hits, err := s.store.SearchJobs(ctx, f, p.query.Order, after, p.page.limit())
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListJobsResponse{}
	hits, resp.NextPageToken = pageOf(p.page, hits, func(h domain.JobHit) pageToken {
		return pageToken{Time: h.PublishTime, Rank: h.Rank, Salary: max(h.Salary.Min, h.Salary.Max), ID: h.ID}
	})
	resp.Jobs = make([]*hmbv1.Job, 0, len(hits))
	for _, h := range hits {
		resp.Jobs = append(resp.Jobs, jobToProto(h.Job))
	}
	if after == nil && resp.NextPageToken == "" {
		resp.TotalSize = int32(len(hits))
	} else {
		key := "total:" + queryDigest(f)
		c, ok := s.counts.Get(key)
		if !ok {
			n, _, err := s.store.CountJobs(ctx, f)
			if err != nil {
				return nil, err
			}
			c = []int32{int32(n)}
			s.counts.Add(key, c)
		}
		resp.TotalSize = c[0]
	}
	if req.GetFacets() {
		key := queryDigest(f)
		if resp.Facets, _ = s.facets.Get(key); resp.Facets == nil {
			fc, err := s.store.JobFacets(ctx, f)
			if err != nil {
				return nil, err
			}
			resp.Facets = &hmbv1.Facets{
				Island:         facetCounts(fc.Island, "ISLAND_"),
				Category:       facetCounts(fc.Category, "JOB_CATEGORY_"),
				EmploymentType: facetCounts(fc.EmploymentType, "EMPLOYMENT_TYPE_"),
			}
			s.facets.Add(key, resp.Facets)
		}
	}
	return resp, nil
}

// facetCounts lists counts largest first, ties by name.
func facetCounts(m map[string]int, prefix string) []*hmbv1.FacetCount {
	out := make([]*hmbv1.FacetCount, 0, len(m))
	for k, n := range m {
		out = append(out, &hmbv1.FacetCount{Value: prefix + k, Count: int32(n)})
	}
	slices.SortFunc(out, func(a, b *hmbv1.FacetCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}
