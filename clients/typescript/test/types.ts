// Compiled by `npm run check` (make check-ts), never run: it fails to
// type-check when the generated types stop matching how the web client
// calls the API.
import { createClient, type ApiError, type Schemas } from "../src/index";

const api = createClient("http://localhost:8080");

export async function searchJobs(): Promise<string[]> {
  const { data, error } = await api.GET("/api/v1/jobs", {
    params: { query: { q: "bartender", island: ["ISLAND_NEW_PROVIDENCE", "ISLAND_EXUMA"], page_size: 20 } },
  });
  if (error) {
    const reason: string = error.error.reason;
    throw new Error(reason);
  }
  const jobs: Schemas["Job"][] = data.jobs ?? [];
  return jobs.map((job) => `${job.title ?? ""} (${job.island ?? "ISLAND_UNSPECIFIED"})`);
}

export async function signIn(email: string, password: string): Promise<string | undefined> {
  const { data } = await api.POST("/api/v1/auth/login", { body: { email, password } });
  return data?.access_token;
}

export async function apply(token: string, jobId: string): Promise<Schemas["ApplicationStatus"] | undefined> {
  const { data } = await api.POST("/api/v1/jobs/{job_id}/applications", {
    params: { path: { job_id: jobId } },
    body: { cover_letter: "I have five years behind the bar." },
    headers: { Authorization: `Bearer ${token}` },
  });
  return data?.status;
}

// Over REST the fields in the body are the update mask.
export async function renameJob(token: string, id: string, etag: string): Promise<void> {
  await api.PATCH("/api/v1/jobs/{id}", {
    params: { path: { id } },
    body: { title: "Head bartender", etag },
    headers: { Authorization: `Bearer ${token}` },
  });
}

export function describe(e: ApiError): string {
  return `${e.error.status} ${e.error.reason}: ${e.error.message} (request ${e.error.request_id})`;
}

// @ts-expect-error fields are snake_case on the wire, as the protos name them
export const wrongCase: Schemas["Job"] = { employmentType: "EMPLOYMENT_TYPE_FULL_TIME" };
