package service

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// SavedSearchServer keeps job seekers' saved searches; the queue mails
// their alerts.
type SavedSearchServer struct {
	hmbv1.UnimplementedSavedSearchServiceServer
	store *store.Store
}

var _ hmbv1.SavedSearchServiceServer = (*SavedSearchServer)(nil)

// NewSavedSearchServer returns the service over st.
func NewSavedSearchServer(st *store.Store) *SavedSearchServer { return &SavedSearchServer{store: st} }

func (s *SavedSearchServer) CreateSavedSearch(ctx context.Context, req *hmbv1.CreateSavedSearchRequest) (*hmbv1.SavedSearch, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetSavedSearch()
	if in.GetFrequency() == hmbv1.AlertFrequency_ALERT_FREQUENCY_UNSPECIFIED {
		return nil, invalidField("saved_search.frequency", "required: INSTANT, DAILY or WEEKLY")
	}
	if in.GetFilter() == nil {
		return nil, invalidField("saved_search.filter", "required; an empty filter matches every job")
	}
	f, err := searchFilter(in.GetFilter())
	if err != nil {
		return nil, err
	}
	out, err := s.store.CreateSavedSearch(ctx, domain.SavedSearch{
		UserID: c.UserID, Filter: f, Frequency: frequencyName(in.GetFrequency()), AlertsPaused: in.GetAlertsPaused(),
	})
	if err != nil {
		return nil, err
	}
	return savedSearchToProto(out), nil
}

func (s *SavedSearchServer) GetSavedSearch(ctx context.Context, req *hmbv1.GetSavedSearchRequest) (*hmbv1.SavedSearch, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	out, err := s.store.GetSavedSearch(ctx, c.UserID, req.GetId())
	if err != nil {
		return nil, err
	}
	return savedSearchToProto(out), nil
}

func (s *SavedSearchServer) ListSavedSearches(ctx context.Context, req *hmbv1.ListSavedSearchesRequest) (*hmbv1.ListSavedSearchesResponse, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := newPage(req.GetPageToken(), req.GetPageSize(), "searches:"+c.UserID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListSavedSearches(ctx, c.UserID, p.timeCursor(), p.limit())
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListSavedSearchesResponse{}
	list, resp.NextPageToken = pageOf(p, list, func(v domain.SavedSearch) pageToken { return pageToken{Time: v.CreateTime, ID: v.ID} })
	resp.SavedSearches = make([]*hmbv1.SavedSearch, 0, len(list))
	for _, v := range list {
		resp.SavedSearches = append(resp.SavedSearches, savedSearchToProto(v))
	}
	return resp, nil
}

func (s *SavedSearchServer) UpdateSavedSearch(ctx context.Context, req *hmbv1.UpdateSavedSearchRequest) (*hmbv1.SavedSearch, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	in := req.GetSavedSearch()
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, invalidField("update_mask", "name at least one field to change")
	}
	cur, err := s.store.GetSavedSearch(ctx, c.UserID, in.GetId())
	if err != nil {
		return nil, err
	}
	for _, path := range paths {
		switch path {
		case "id":
		case "filter":
			if cur.Filter, err = searchFilter(in.GetFilter()); err != nil {
				return nil, err
			}
		case "frequency":
			if in.GetFrequency() == hmbv1.AlertFrequency_ALERT_FREQUENCY_UNSPECIFIED {
				return nil, invalidField("saved_search.frequency", "required: INSTANT, DAILY or WEEKLY")
			}
			cur.Frequency = frequencyName(in.GetFrequency())
		case "alerts_paused":
			cur.AlertsPaused = in.GetAlertsPaused()
		default:
			return nil, invalidField("update_mask", "unknown or read-only field "+quote(path))
		}
	}
	out, err := s.store.UpdateSavedSearch(ctx, cur)
	if err != nil {
		return nil, err
	}
	return savedSearchToProto(out), nil
}

func (s *SavedSearchServer) DeleteSavedSearch(ctx context.Context, req *hmbv1.DeleteSavedSearchRequest) (*emptypb.Empty, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteSavedSearch(ctx, c.UserID, req.GetId()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// searchFilter puts a saved search's filter through ListJobs' own checks
// and into the store's terms, so that its alerts find what ListJobs would.
func searchFilter(f *hmbv1.JobSearchFilter) (domain.JobFilter, error) {
	p, err := planJobList(&hmbv1.ListJobsRequest{
		Q: f.GetQ(), Island: f.GetIsland(), Category: f.GetCategory(), EmploymentType: f.GetEmploymentType(),
		Remote: f.Remote, SalaryMin: f.GetSalaryMin(),
	})
	if err != nil {
		return domain.JobFilter{}, err
	}
	return p.query.Filter, nil
}

func frequencyName(f hmbv1.AlertFrequency) string { return enumName(f, "ALERT_FREQUENCY_") }

func savedSearchToProto(v domain.SavedSearch) *hmbv1.SavedSearch {
	f := &hmbv1.JobSearchFilter{Q: v.Filter.Query, Remote: v.Filter.Remote, SalaryMin: v.Filter.SalaryMin}
	for _, i := range v.Filter.Islands {
		f.Island = append(f.Island, islandToProto(i))
	}
	for _, c := range v.Filter.Categories {
		f.Category = append(f.Category, enumValue[hmbv1.JobCategory](hmbv1.JobCategory_value, "JOB_CATEGORY_", c))
	}
	for _, e := range v.Filter.EmploymentTypes {
		f.EmploymentType = append(f.EmploymentType, enumValue[hmbv1.EmploymentType](hmbv1.EmploymentType_value, "EMPLOYMENT_TYPE_", e))
	}
	return &hmbv1.SavedSearch{
		Id: v.ID, Filter: f, AlertsPaused: v.AlertsPaused, Description: v.Filter.Describe(),
		Frequency:  enumValue[hmbv1.AlertFrequency](hmbv1.AlertFrequency_value, "ALERT_FREQUENCY_", v.Frequency),
		CreateTime: timestamppb.New(v.CreateTime), UpdateTime: timestamppb.New(v.UpdateTime),
	}
}
