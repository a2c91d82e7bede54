package service

import (
	"strings"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// newJob checks a job employerID asks to create, as far as that needs no
// database, and settles its status and, if it opens now, its publish and
// expiry times. The company may still be empty.
func (s *JobServer) newJob(employerID string, in *hmbv1.Job) (domain.Job, error) {
	j := domain.Job{EmployerID: employerID, Status: domain.JobOpen}
	if err := applyJobFields(&j, in, []string{"company", "title", "description", "requirements", "benefits", "category",
		"employment_type", "island", "location", "remote", "salary", "skills"}); err != nil {
		return domain.Job{}, err
	}
	if in.GetStatus() != hmbv1.JobStatus_JOB_STATUS_UNSPECIFIED {
		j.Status = jobStatusName(in.GetStatus())
	}
	if j.Status != domain.JobOpen && j.Status != domain.JobDraft {
		return domain.Job{}, invalidField("job.status", "a new job is DRAFT or OPEN")
	}
	if in.GetExpireTime() != nil {
		j.ExpireTime = in.GetExpireTime().AsTime()
	}
	if j.Status == domain.JobOpen {
		if err := s.publish(&j); err != nil {
			return domain.Job{}, err
		}
	}
	if err := s.checkLifetime(j); err != nil {
		return domain.Job{}, err
	}
	return j, nil
}

// checkLifetime refuses an expiry more than maxJobLifetime after the job is
// published, or, for a draft, after now.
func (s *JobServer) checkLifetime(j domain.Job) error {
	from := j.PublishTime
	if from.IsZero() {
		from = s.now()
	}
	if j.ExpireTime.After(from.Add(maxJobLifetime)) {
		return invalidField("job.expire_time", "must be at most 2 years after publish_time")
	}
	return nil
}

// publish opens a job now, expiring 30 days later unless it says otherwise.
func (s *JobServer) publish(j *domain.Job) error {
	now := s.now()
	if j.PublishTime.IsZero() {
		j.PublishTime = now
	}
	if j.ExpireTime.IsZero() {
		j.ExpireTime = now.Add(defaultJobLifetime)
	}
	if !j.ExpireTime.After(now) {
		return invalidField("job.expire_time", "must be in the future for an open job")
	}
	if !j.ExpireTime.After(j.PublishTime) {
		return invalidField("job.expire_time", "must be after publish_time")
	}
	return nil
}

// applyJobFields copies the named fields from in to j, checking each.
func applyJobFields(j *domain.Job, in *hmbv1.Job, paths []string) error {
	for _, p := range paths {
		var err error
		switch p {
		case "company":
			j.Company = strings.TrimSpace(in.GetCompany())
			err = checkLine("job.company", j.Company)
		case "title":
			if j.Title = strings.TrimSpace(in.GetTitle()); j.Title == "" {
				return invalidField("job.title", "required, 1 to 200 characters")
			}
			err = checkLine("job.title", j.Title)
		case "description":
			if j.Description = strings.TrimSpace(in.GetDescription()); j.Description == "" {
				return invalidField("job.description", "required, 1 to 20,000 characters")
			}
			err = checkFreeText("job.description", j.Description)
		case "requirements":
			j.Requirements = in.GetRequirements()
			err = checkFreeText("job.requirements", j.Requirements)
		case "benefits":
			j.Benefits = in.GetBenefits()
			err = checkFreeText("job.benefits", j.Benefits)
		case "category":
			if j.Category = categoryName(in.GetCategory()); j.Category == "" {
				return invalidField("job.category", "required")
			}
		case "employment_type":
			if j.EmploymentType = employmentName(in.GetEmploymentType()); j.EmploymentType == "" {
				return invalidField("job.employment_type", "required")
			}
		case "island":
			if j.Island = islandFromProto(in.GetIsland()); j.Island == "" {
				return invalidField("job.island", "required")
			}
		case "location":
			j.Location = in.GetLocation()
			err = checkLine("job.location", j.Location)
		case "remote":
			j.Remote = in.GetRemote()
		case "salary":
			sal := in.GetSalary()
			j.Salary = domain.Salary{Min: sal.GetMin(), Max: sal.GetMax(), Currency: sal.GetCurrency(), Period: periodName(sal.GetPeriod())}
			if j.Salary.Currency == "" {
				j.Salary.Currency = "BSD"
			}
		case "skills":
			j.Skills = in.GetSkills()
			err = checkLines("job.skills", j.Skills)
		default:
			return invalidField("update_mask", "unknown or read-only field "+quote(p))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// jobMutableFields are the fields UpdateJob accepts, besides status and
// expire_time which have rules of their own.
var jobMutableFields = []string{"company", "title", "description", "requirements", "benefits", "category",
	"employment_type", "island", "location", "remote", "salary", "skills"}

// jobMoves lists the status changes an owner may make.
var jobMoves = map[string][]string{
	domain.JobDraft:  {domain.JobOpen},
	domain.JobOpen:   {domain.JobClosed, domain.JobFilled},
	domain.JobClosed: {domain.JobOpen, domain.JobFilled},
}
