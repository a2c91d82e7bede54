package service

import (
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// optionalTimestamp leaves an unset (zero) time out of the message.
func optionalTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// etagOf is a job's etag: its version, quoted as in HTTP.
func etagOf(version int32) string { return `"` + strconv.Itoa(int(version)) + `"` }

// parseEtag returns the version an etag names.
func parseEtag(etag string) (int32, bool) {
	v, err := strconv.ParseInt(strings.Trim(strings.TrimPrefix(etag, "W/"), `"`), 10, 32)
	return int32(v), err == nil && v > 0
}

func jobToProto(j domain.Job) *hmbv1.Job {
	p := &hmbv1.Job{
		Id: j.ID, EmployerId: j.EmployerID, Company: j.Company, Title: j.Title, Description: j.Description,
		Requirements: j.Requirements, Benefits: j.Benefits,
		Category:       enumValue[hmbv1.JobCategory](hmbv1.JobCategory_value, "JOB_CATEGORY_", j.Category),
		EmploymentType: enumValue[hmbv1.EmploymentType](hmbv1.EmploymentType_value, "EMPLOYMENT_TYPE_", j.EmploymentType),
		Island:         islandToProto(j.Island),
		Location:       j.Location, Remote: j.Remote, Skills: j.Skills,
		Status:      enumValue[hmbv1.JobStatus](hmbv1.JobStatus_value, "JOB_STATUS_", j.Status),
		PublishTime: optionalTimestamp(j.PublishTime),
		ExpireTime:  optionalTimestamp(j.ExpireTime),
		CreateTime:  timestamppb.New(j.CreateTime),
		UpdateTime:  timestamppb.New(j.UpdateTime),
		Etag:        etagOf(j.Version),
	}
	if j.Salary != (domain.Salary{Currency: j.Salary.Currency}) || j.Salary.Period != "" {
		p.Salary = &hmbv1.Salary{Min: j.Salary.Min, Max: j.Salary.Max, Currency: j.Salary.Currency,
			Period: enumValue[hmbv1.SalaryPeriod](hmbv1.SalaryPeriod_value, "SALARY_PERIOD_", j.Salary.Period)}
	}
	if p.Skills == nil {
		p.Skills = []string{}
	}
	return p
}

func applicationToProto(a domain.Application) *hmbv1.Application {
	return &hmbv1.Application{
		Id: a.ID, JobId: a.JobID, JobTitle: a.JobTitle, ApplicantId: a.ApplicantID, CoverLetter: a.CoverLetter,
		ResumeUrl:  a.ResumeURL,
		Status:     enumValue[hmbv1.ApplicationStatus](hmbv1.ApplicationStatus_value, "APPLICATION_STATUS_", a.Status),
		CreateTime: timestamppb.New(a.CreateTime), UpdateTime: timestamppb.New(a.UpdateTime),
	}
}
