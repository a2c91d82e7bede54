package service

import (
	"context"
	"errors"
	"strings"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
)

func (s *UserServer) GetMailPreferences(ctx context.Context, _ *hmbv1.GetMailPreferencesRequest) (*hmbv1.MailPreferences, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.store.MailPreferences(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	return mailPreferencesToProto(p), nil
}

func (s *UserServer) UpdateMailPreferences(ctx context.Context, req *hmbv1.UpdateMailPreferencesRequest) (*hmbv1.MailPreferences, error) {
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, invalidField("update_mask", "name at least one kind of mail to turn on or off")
	}
	in := mailPreferencesFromProto(req.GetPreferences())
	change := domain.MailPreferences{}
	for _, p := range paths {
		kind := domain.MailKind(p)
		if !domain.KnownMailKind(kind) {
			return nil, invalidField("update_mask", "unknown field "+quote(p)+"; changeable fields are "+mailKindList())
		}
		change[kind] = in[kind]
	}
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := s.store.SetMailPreferences(ctx, c.UserID, change)
	if err != nil {
		return nil, err
	}
	return mailPreferencesToProto(p), nil
}

// Unsubscribe needs no sign-in: the signed link is the authority, and all
// it can do is turn one kind of mail off.
func (s *UserServer) Unsubscribe(ctx context.Context, req *hmbv1.UnsubscribeRequest) (*hmbv1.UnsubscribeResponse, error) {
	fields, err := s.links.Verify(auth.PurposeUnsubscribe, req.GetToken(), 2)
	if errors.Is(err, auth.ErrLinkInvalid) || err == nil && !domain.KnownMailKind(domain.MailKind(fields[1])) {
		return nil, domain.Errorf(domain.ErrInvalid, "UNSUBSCRIBE_TOKEN_INVALID", "token: the unsubscribe link is not one of ours; use the link in the mail as it is")
	}
	if err != nil {
		return nil, err
	}
	kind := domain.MailKind(fields[1])
	if err := s.store.Unsubscribe(ctx, fields[0], kind); err != nil {
		return nil, err
	}
	return &hmbv1.UnsubscribeResponse{Kind: string(kind)}, nil
}

func mailKindList() string {
	names := make([]string, len(domain.MailKinds))
	for i, k := range domain.MailKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

func mailPreferencesToProto(p domain.MailPreferences) *hmbv1.MailPreferences {
	return &hmbv1.MailPreferences{
		NewApplications:    p[domain.MailNewApplications],
		ApplicationUpdates: p[domain.MailApplicationUpdates],
		JobAlerts:          p[domain.MailJobAlerts],
	}
}

func mailPreferencesFromProto(p *hmbv1.MailPreferences) domain.MailPreferences {
	return domain.MailPreferences{
		domain.MailNewApplications:    p.GetNewApplications(),
		domain.MailApplicationUpdates: p.GetApplicationUpdates(),
		domain.MailJobAlerts:          p.GetJobAlerts(),
	}
}
