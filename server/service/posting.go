package service

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/api/httpbody"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// schema.org employmentType values.
var schemaEmployment = map[string]string{
	"FULL_TIME": "FULL_TIME", "PART_TIME": "PART_TIME", "CONTRACT": "CONTRACTOR",
	"TEMPORARY": "TEMPORARY", "INTERNSHIP": "INTERN", "SEASONAL": "TEMPORARY",
}

// schema.org unitText values.
var schemaPeriod = map[string]string{"HOURLY": "HOUR", "WEEKLY": "WEEK", "MONTHLY": "MONTH", "YEARLY": "YEAR"}

func (s *JobServer) GetJobPosting(ctx context.Context, req *hmbv1.GetJobPostingRequest) (*httpbody.HttpBody, error) {
	j, err := s.store.GetJob(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	now := s.now()
	if j.Status != domain.JobOpen || j.PublishTime.After(now) || !j.ExpireTime.After(now) {
		return nil, domain.Errorf(domain.ErrNotFound, "JOB_NOT_FOUND", "no such open job")
	}
	posting := map[string]any{
		"@context":           "https://schema.org/",
		"@type":              "JobPosting",
		"title":              j.Title,
		"description":        j.Description,
		"datePosted":         j.PublishTime.UTC().Format(time.RFC3339),
		"validThrough":       j.ExpireTime.UTC().Format(time.RFC3339),
		"employmentType":     schemaEmployment[j.EmploymentType],
		"identifier":         map[string]any{"@type": "PropertyValue", "name": j.Company, "value": j.ID},
		"hiringOrganization": map[string]any{"@type": "Organization", "name": j.Company},
		"jobLocation": map[string]any{"@type": "Place", "address": map[string]any{
			"@type": "PostalAddress", "addressLocality": j.Location, "addressRegion": islandTitle(j.Island), "addressCountry": "BS",
		}},
	}
	if len(j.Skills) > 0 {
		posting["skills"] = strings.Join(j.Skills, ", ")
	}
	if j.Remote {
		posting["jobLocationType"] = "TELECOMMUTE"
		posting["applicantLocationRequirements"] = map[string]any{"@type": "Country", "name": "BS"}
	}
	if j.Salary.Min > 0 || j.Salary.Max > 0 {
		value := map[string]any{"@type": "QuantitativeValue", "unitText": schemaPeriod[j.Salary.Period]}
		if j.Salary.Max > 0 {
			value["minValue"], value["maxValue"] = j.Salary.Min, j.Salary.Max
		} else {
			value["value"] = j.Salary.Min
		}
		posting["baseSalary"] = map[string]any{"@type": "MonetaryAmount", "currency": j.Salary.Currency, "value": value}
	}
	body, err := json.Marshal(posting)
	if err != nil {
		return nil, err
	}
	return &httpbody.HttpBody{ContentType: "application/ld+json", Data: body}, nil
}

// islandTitle spells an island's name as people write it.
func islandTitle(name string) string {
	words := strings.Split(strings.ToLower(name), "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}
