package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/hiremebahamas/api/config"
)

const manifestDir = "kubernetes"

// manifests is every object under deploy/kubernetes, decoded strictly into
// the Kubernetes API's types: an unknown, misspelt or repeated field fails,
// as kubectl apply --validate=strict would.
type manifests struct {
	deployments []*appsv1.Deployment
	services    []*corev1.Service
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	jobs        []*batchv1.Job
	secrets     map[string]*corev1.Secret // by path
}

func readManifests(t *testing.T) manifests {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	decoder := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
	m := manifests{secrets: map[string]*corev1.Secret{}}
	err := filepath.WalkDir(manifestDir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		if filepath.Ext(path) != ".yaml" {
			t.Errorf("%s: not a .yaml manifest", path)
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		docs := utilyaml.NewYAMLReader(bufioReader(f))
		for {
			doc, err := docs.Read()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if len(bytes.TrimSpace(stripComments(doc))) == 0 {
				continue
			}
			obj, gvk, err := decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Errorf("%s: %v", path, err)
				continue
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments = append(m.deployments, o)
			case *corev1.Service:
				m.services = append(m.services, o)
			case *autoscalingv2.HorizontalPodAutoscaler:
				m.hpas = append(m.hpas, o)
			case *policyv1.PodDisruptionBudget:
				m.pdbs = append(m.pdbs, o)
			case *batchv1.Job:
				m.jobs = append(m.jobs, o)
			case *corev1.Secret:
				m.secrets[path] = o
			default:
				t.Errorf("%s: %s is not a kind this test checks", path, gvk)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.deployments) != 1 || len(m.services) != 2 || len(m.hpas) != 1 || len(m.pdbs) != 1 || len(m.jobs) != 1 {
		t.Fatalf("want one Deployment, two Services, one HorizontalPodAutoscaler, PodDisruptionBudget and Job; got %d, %d, %d, %d, %d",
			len(m.deployments), len(m.services), len(m.hpas), len(m.pdbs), len(m.jobs))
	}
	return m
}

func TestKubernetesManifests(t *testing.T) {
	t.Parallel()
	m := readManifests(t)
	d := parseDockerfile(t)
	dep, job := m.deployments[0], m.jobs[0]
	podLabels := labels.Set(dep.Spec.Template.Labels)

	// Secrets: only an example, with placeholders, outside the applied
	// directory, holding every key the manifests refer to.
	var example *corev1.Secret
	for path, s := range m.secrets {
		if filepath.Dir(path) != filepath.Join(manifestDir, "examples") {
			t.Errorf("%s: a Secret among the manifests; secrets are created out of band (see examples/)", path)
		}
		example = s
	}
	if example == nil {
		t.Fatal("no example Secret under examples/")
	}

	api := container(t, dep.Spec.Template.Spec, "api")
	checkPod(t, "Deployment", dep.Spec.Template.Spec, api, d)
	if !slices.Equal(api.Command, []string{d.binary, "serve"}) {
		t.Errorf("Deployment command %q; want [%s serve]", api.Command, d.binary)
	}
	env := containerEnv(t, "Deployment", api, example)
	cfg := loadConfig(t, "serve", env)

	// Ports: the probes ask the port the binary listens on, from PORT.
	var httpPort int32
	for _, p := range api.Ports {
		if p.Name == "http" {
			httpPort = p.ContainerPort
		}
	}
	if httpPort == 0 || strconv.Itoa(int(httpPort)) != env["PORT"] || cfg.Port != int(httpPort) {
		t.Errorf("containerPort http %d, PORT=%q; want the same", httpPort, env["PORT"])
	}
	for name, probe := range map[string]*corev1.Probe{"startup": api.StartupProbe, "liveness": api.LivenessProbe} {
		switch {
		case probe == nil || probe.HTTPGet == nil:
			t.Errorf("%s probe: want an HTTP GET", name)
		case probe.HTTPGet.Port != intstr.FromString("http") && probe.HTTPGet.Port != intstr.FromInt32(httpPort):
			t.Errorf("%s probe port %s; want http (%d)", name, probe.HTTPGet.Port.String(), httpPort)
		case probe.HTTPGet.Path != "/live":
			t.Errorf("%s probe path %s; want /live, which touches no database", name, probe.HTTPGet.Path)
		}
	}
	ready := api.ReadinessProbe
	if ready == nil || ready.GRPC == nil || ready.GRPC.Port != httpPort || ready.GRPC.Service == nil {
		t.Fatalf("readiness probe %+v; want gRPC health on port %d with a service", ready, httpPort)
	}

	// Shutdown: preStop, then DRAIN_DELAY and SHUTDOWN_TIMEOUT, within the
	// grace period.
	pre := api.Lifecycle
	if pre == nil || pre.PreStop == nil || pre.PreStop.Sleep == nil {
		t.Fatal("preStop: want the kubelet's sleep action, which needs no shell")
	}
	stop := time.Duration(pre.PreStop.Sleep.Seconds)*time.Second + cfg.DrainDelay + cfg.ShutdownTimeout
	var grace time.Duration // the API server's default is 30 s
	if g := dep.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace < stop {
		t.Errorf("terminationGracePeriodSeconds %s; want at least preStop + DRAIN_DELAY + SHUTDOWN_TIMEOUT = %s", grace, stop)
	}

	// Memory: GOMEMLIMIT follows the container's limit.
	gomem := envVar(api, "GOMEMLIMIT")
	if gomem == nil || gomem.ValueFrom == nil || gomem.ValueFrom.ResourceFieldRef == nil ||
		gomem.ValueFrom.ResourceFieldRef.Resource != "limits.memory" || gomem.ValueFrom.ResourceFieldRef.ContainerName != api.Name {
		t.Errorf("GOMEMLIMIT %+v; want the container's limits.memory through resourceFieldRef", gomem)
	}
	if _, ok := api.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Error("no memory limit")
	}
	if api.Resources.Requests.Cpu().IsZero() || api.Resources.Requests.Memory().IsZero() {
		t.Error("want CPU and memory requests, for scheduling and the autoscaler")
	}

	// The Services, autoscaler and disruption budget find the pods; one
	// Service is headless, for gRPC clients that balance over the pods.
	headless := 0
	for _, svc := range m.services {
		if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) || len(svc.Spec.Ports) == 0 || svc.Spec.Ports[0].TargetPort != intstr.FromString("http") {
			t.Errorf("Service %s: selector %v, ports %+v; want the pods' port http", svc.Name, svc.Spec.Selector, svc.Spec.Ports)
		}
		if svc.Spec.ClusterIP == corev1.ClusterIPNone {
			headless++
		}
	}
	if headless != 1 {
		t.Errorf("%d headless Services; want one, for gRPC clients balancing over the pods", headless)
	}
	hpa := m.hpas[0]
	if ref := hpa.Spec.ScaleTargetRef; ref.Kind != "Deployment" || ref.Name != dep.Name || hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas < 2 {
		t.Errorf("HorizontalPodAutoscaler target %+v, min %v; want %s, at least 2", ref, hpa.Spec.MinReplicas, dep.Name)
	}
	pdb := m.pdbs[0]
	if sel, err := metav1Selector(pdb); err != nil || !sel.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector does not match the pods: %v", err)
	}

	// The migration Job: the same image and rules, over the direct URL.
	migrate := container(t, job.Spec.Template.Spec, "migrate")
	checkPod(t, "Job", job.Spec.Template.Spec, migrate, d)
	if !slices.Equal(migrate.Command, []string{d.binary, "migrate"}) || migrate.Image != api.Image {
		t.Errorf("Job runs %s %q; want %s [%s migrate]", migrate.Image, migrate.Command, api.Image, d.binary)
	}
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("Job restartPolicy %s; want Never, retried by backoffLimit", job.Spec.Template.Spec.RestartPolicy)
	}
	jobEnv := containerEnv(t, "Job", migrate, example)
	if loadConfig(t, "migrate", jobEnv).DatabaseDirectURL == "" {
		t.Error("the Job sets no DATABASE_DIRECT_URL")
	}

	// The probes against the binary with the Deployment's settings, on a
	// free port instead of PORT.
	env["HOST"], env["PORT"], env["METRICS_ADDR"] = "127.0.0.1", "0", "127.0.0.1:0"
	cmd := exec.Command(staticBinary(t), api.Command[1:]...)
	cmd.Env = environ(env)
	p := serve(t, cmd)
	for _, probe := range []*corev1.Probe{api.StartupProbe, api.LivenessProbe} {
		if code := p.get(t, probe.HTTPGet.Path); code != 200 {
			t.Errorf("GET %s = %d without a database; want 200", probe.HTTPGet.Path, code)
		}
	}
	conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: *ready.GRPC.Service})
	if err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Errorf("gRPC health Check(%q) = %v, %v; want SERVING", *ready.GRPC.Service, resp, err)
	}
}

// checkPod holds a pod to the image's rules: not root (the image's user),
// no privilege, a read-only root, no capabilities, the runtime's seccomp
// profile, no API token.
func checkPod(t *testing.T, kind string, pod corev1.PodSpec, c *corev1.Container, d dockerfile) {
	t.Helper()
	psc, csc := pod.SecurityContext, c.SecurityContext
	if psc == nil || csc == nil {
		t.Fatalf("%s: want pod and container securityContext", kind)
	}
	if psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser != int64(d.uid) {
		t.Errorf("%s: runAsNonRoot %v, runAsUser %v; want true and the image's user %d", kind, psc.RunAsNonRoot, psc.RunAsUser, d.uid)
	}
	if psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile %v; want RuntimeDefault", kind, psc.SeccompProfile)
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Errorf("%s: want readOnlyRootFilesystem", kind)
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Errorf("%s: want allowPrivilegeEscalation false", kind)
	}
	if csc.Capabilities == nil || !slices.Equal(csc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(csc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities %+v; want all dropped", kind, csc.Capabilities)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("%s: want automountServiceAccountToken false: the API never calls Kubernetes", kind)
	}
	if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
		t.Errorf("%s: no memory limit", kind)
	}
}

func container(t *testing.T, pod corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for i := range pod.Containers {
		if pod.Containers[i].Name == name {
			return &pod.Containers[i]
		}
	}
	t.Fatalf("no container %s", name)
	return nil
}

func envVar(c *corev1.Container, name string) *corev1.EnvVar {
	for i := range c.Env {
		if c.Env[i].Name == name {
			return &c.Env[i]
		}
	}
	return nil
}

// containerEnv is the container's environment as the kubelet would set it:
// secrets from the example's keys (with the test's values), resource fields
// from the container's resources. Every name must be a known setting.
func containerEnv(t *testing.T, kind string, c *corev1.Container, example *corev1.Secret) map[string]string {
	t.Helper()
	env := map[string]string{}
	var names []string
	for _, v := range c.Env {
		names = append(names, v.Name)
		switch {
		case v.ValueFrom == nil:
			env[v.Name] = v.Value
		case v.ValueFrom.SecretKeyRef != nil:
			ref := v.ValueFrom.SecretKeyRef
			if ref.Name != example.Name {
				t.Errorf("%s: %s from Secret %s; want %s", kind, v.Name, ref.Name, example.Name)
			}
			if _, ok := example.StringData[ref.Key]; !ok {
				t.Errorf("%s: %s from key %s, which the example Secret lacks", kind, v.Name, ref.Key)
			}
			secret, ok := testSecrets[ref.Key]
			if !ok {
				t.Errorf("%s: %s from a Secret, but is no secret", kind, v.Name)
			}
			env[v.Name] = secret
		case v.ValueFrom.ResourceFieldRef != nil:
			q := c.Resources.Limits[corev1.ResourceName(strings.TrimPrefix(v.ValueFrom.ResourceFieldRef.Resource, "limits."))]
			env[v.Name] = strconv.FormatInt(q.Value(), 10)
		default:
			t.Errorf("%s: %s from an unexpected source", kind, v.Name)
		}
	}
	checkKnown(t, kind, names)
	if _, err := config.Load("migrate", nil, func(k string) string { return env[k] }); err != nil {
		t.Errorf("%s: the database settings do not pass: %v", kind, err)
	}
	return env
}

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

// stripComments drops comment lines, to tell an empty document.
func stripComments(doc []byte) []byte {
	var out []byte
	for _, line := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(line), []byte("#")) {
			out = append(out, line...)
		}
	}
	return out
}

func metav1Selector(pdb *policyv1.PodDisruptionBudget) (labels.Selector, error) {
	return metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
}
