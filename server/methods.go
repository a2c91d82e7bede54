package server

import (
	"google.golang.org/grpc/health/grpc_health_v1"
	reflectionv1 "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionv1alpha "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
)

// methods is the one table of what the service knows of each RPC, for gRPC
// and REST alike: who may call it (the interceptor chain), whether its
// answer is a public read that browsers and CDNs may keep (the HTTP edge),
// which rate bucket it draws from (both), and whether load balancers poll it.
// A method missing here is refused: a new RPC is closed until it has a row.
var methods = rpc.Methods{
	hmbv1.AuthService_Register_FullMethodName:                 {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_Login_FullMethodName:                    {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_Refresh_FullMethodName:                  {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_Logout_FullMethodName:                   {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_LogoutAll_FullMethodName:                {Access: rpc.SignedIn, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_ChangePassword_FullMethodName:           {Access: rpc.SignedIn, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_RequestPasswordReset_FullMethodName:     {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_ResetPassword_FullMethodName:            {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_RequestEmailVerification_FullMethodName: {Access: rpc.SignedIn, Bucket: ratelimit.AuthBucket},
	hmbv1.AuthService_VerifyEmail_FullMethodName:              {Access: rpc.Anyone, Bucket: ratelimit.AuthBucket},

	hmbv1.UserService_GetUser_FullMethodName:               {Access: rpc.Anyone, PublicRead: true},
	hmbv1.UserService_GetMe_FullMethodName:                 {Access: rpc.SignedIn},
	hmbv1.UserService_UpdateMe_FullMethodName:              {Access: rpc.SignedIn},
	hmbv1.UserService_DeleteMe_FullMethodName:              {Access: rpc.SignedIn},
	hmbv1.UserService_ListUsers_FullMethodName:             {Access: rpc.Employers},
	hmbv1.UserService_DeactivateUser_FullMethodName:        {Access: rpc.Administrator},
	hmbv1.UserService_ReactivateUser_FullMethodName:        {Access: rpc.Administrator},
	hmbv1.UserService_SetUserRole_FullMethodName:           {Access: rpc.Administrator},
	hmbv1.UserService_GetMailPreferences_FullMethodName:    {Access: rpc.SignedIn},
	hmbv1.UserService_UpdateMailPreferences_FullMethodName: {Access: rpc.SignedIn},
	// Mail clients POST to the link in List-Unsubscribe; the signed token
	// in it is the authority.
	hmbv1.UserService_Unsubscribe_FullMethodName: {Access: rpc.Anyone, OneClick: true},

	// Ownership of a job or application is checked by the handlers.
	hmbv1.JobService_CreateJob_FullMethodName:               {Access: rpc.Employers},
	hmbv1.JobService_GetJob_FullMethodName:                  {Access: rpc.Anyone, PublicRead: true},
	hmbv1.JobService_GetJobStats_FullMethodName:             {Access: rpc.Anyone, PublicRead: true},
	hmbv1.JobService_UpdateJob_FullMethodName:               {Access: rpc.Employers},
	hmbv1.JobService_DeleteJob_FullMethodName:               {Access: rpc.Employers},
	hmbv1.JobService_ListJobs_FullMethodName:                {Access: rpc.Anyone, PublicRead: true},
	hmbv1.JobService_GetJobPosting_FullMethodName:           {Access: rpc.Anyone, PublicRead: true},
	hmbv1.JobService_ApplyToJob_FullMethodName:              {Access: rpc.Seekers},
	hmbv1.JobService_ListJobApplications_FullMethodName:     {Access: rpc.Employers},
	hmbv1.JobService_ListMyApplications_FullMethodName:      {Access: rpc.SignedIn},
	hmbv1.JobService_UpdateApplicationStatus_FullMethodName: {Access: rpc.Employers},
	hmbv1.JobService_WithdrawApplication_FullMethodName:     {Access: rpc.SignedIn},
	hmbv1.JobService_SaveJob_FullMethodName:                 {Access: rpc.SignedIn},
	hmbv1.JobService_UnsaveJob_FullMethodName:               {Access: rpc.SignedIn},
	hmbv1.JobService_ListSavedJobs_FullMethodName:           {Access: rpc.SignedIn},

	// Saved searches are their owner's: the store looks them up by owner.
	hmbv1.SavedSearchService_CreateSavedSearch_FullMethodName: {Access: rpc.Seekers},
	hmbv1.SavedSearchService_GetSavedSearch_FullMethodName:    {Access: rpc.Seekers},
	hmbv1.SavedSearchService_ListSavedSearches_FullMethodName: {Access: rpc.Seekers},
	hmbv1.SavedSearchService_UpdateSavedSearch_FullMethodName: {Access: rpc.Seekers},
	hmbv1.SavedSearchService_DeleteSavedSearch_FullMethodName: {Access: rpc.Seekers},

	// Probes answer anyone, whatever the schema, without a rate limit.
	hmbv1.HealthService_CheckLiveness_FullMethodName: probe,
	hmbv1.HealthService_CheckServing_FullMethodName:  probe,
	hmbv1.HealthService_CheckDatabase_FullMethodName: probe,
	grpc_health_v1.Health_Check_FullMethodName:       probe,
	grpc_health_v1.Health_List_FullMethodName:        probe,
	grpc_health_v1.Health_Watch_FullMethodName:       probe,

	// Reflection, for grpcurl and the like, whatever the schema.
	reflectionv1.ServerReflection_ServerReflectionInfo_FullMethodName:      {Access: rpc.Anyone, AnySchema: true},
	reflectionv1alpha.ServerReflection_ServerReflectionInfo_FullMethodName: {Access: rpc.Anyone, AnySchema: true},
}

var probe = rpc.Method{Access: rpc.Anyone, Probe: true, AnySchema: true}
