// Command check decodes every document of the Kubernetes manifests it is given into its typed object from the
// Kubernetes API (k8s.io/api), strictly, as the API server does with fieldValidation=Strict: a field the type does not
// have (or of another case), a duplicate key or a value of the wrong type fails, where a YAML lint and `kubectl apply` on an old client pass silently. It then checks what the API server
// would refuse and decoding cannot see (names, labels, selectors against template labels, probe and policy ports
// against the container's, ConfigMaps and Secrets that envFrom and volumes name).
//
//	go run . ../worker.yaml
//
// One line per object on standard output ("<file>: <apiVersion> <kind> <name>"); the problems on standard error and
// exit status 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kinds are the types a manifest here may hold, by "apiVersion kind".
var kinds = map[string]func() any{
	"v1 ConfigMap":                       func() any { return &corev1.ConfigMap{} },
	"v1 Service":                         func() any { return &corev1.Service{} },
	"v1 ServiceAccount":                  func() any { return &corev1.ServiceAccount{} },
	"apps/v1 Deployment":                 func() any { return &appsv1.Deployment{} },
	"batch/v1 Job":                       func() any { return &batchv1.Job{} },
	"policy/v1 PodDisruptionBudget":      func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1 NetworkPolicy": func() any { return &networkingv1.NetworkPolicy{} },
}

type object struct {
	file, id string
	value    any
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: check <manifest.yaml>...")
		os.Exit(64)
	}
	var objects []object
	var problems []string
	for _, file := range os.Args[1:] {
		found, err := decodeFile(file)
		if err != nil {
			problems = append(problems, err.Error())
		}
		objects = append(objects, found...)
	}
	for _, o := range objects {
		for _, p := range validate(o, objects) {
			problems = append(problems, fmt.Sprintf("%s: %s: %s", o.file, o.id, p))
		}
	}
	for _, o := range objects {
		fmt.Printf("%s: %s\n", o.file, o.id)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		os.Exit(1)
	}
}

// decodeFile decodes each document of one file into its typed object, strictly.
func decodeFile(file string) ([]object, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	reader := k8syaml.NewYAMLReader(bufio.NewReader(f))
	var objects []object
	var problems []error
	for n := 1; ; n++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return objects, fmt.Errorf("%s: document %d: %w", file, n, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			problems = append(problems, fmt.Errorf("%s: document %d: %w", file, n, err))
			continue
		}
		key := meta.APIVersion + " " + meta.Kind
		make, ok := kinds[key]
		if !ok {
			problems = append(problems, fmt.Errorf("%s: document %d: unknown type %q", file, n, key))
			continue
		}
		value := make()
		if errs := decodeStrict(doc, value); len(errs) > 0 {
			for _, err := range errs {
				problems = append(problems, fmt.Errorf("%s: document %d (%s): %w", file, n, key, err))
			}
			continue
		}
		name := value.(metav1.Object).GetName()
		objects = append(objects, object{file: file, id: key + " " + name, value: value})
	}
	return objects, errors.Join(problems...)
}

// decodeStrict decodes as the API server does with fieldValidation=Strict: YAML to JSON refusing duplicate keys, then
// case-sensitive JSON into the type, every unknown field an error naming its path.
func decodeStrict(doc []byte, into any) []error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return []error{err}
	}
	strict, err := sigsjson.UnmarshalStrict(js, into)
	if err != nil {
		return []error{err}
	}
	return strict
}

// stripComments drops whole-line comments (a document of comments only is empty).
func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			out.WriteString(line + "\n")
		}
	}
	return out.Bytes()
}

// validate checks one object as the API server would where decoding cannot.
func validate(o object, all []object) []string {
	var p []string
	meta := o.value.(metav1.Object)
	for _, msg := range validation.IsDNS1123Subdomain(meta.GetName()) {
		p = append(p, "metadata.name: "+msg)
	}
	p = append(p, labelProblems("metadata.labels", meta.GetLabels())...)
	switch v := o.value.(type) {
	case *appsv1.Deployment:
		p = append(p, selectorProblems("spec.selector", v.Spec.Selector, v.Spec.Template.Labels)...)
		p = append(p, labelProblems("spec.template.metadata.labels", v.Spec.Template.Labels)...)
		p = append(p, podProblems(v.Spec.Template.Spec, all)...)
	case *batchv1.Job:
		p = append(p, podProblems(v.Spec.Template.Spec, all)...)
	case *policyv1.PodDisruptionBudget:
		if (v.Spec.MinAvailable == nil) == (v.Spec.MaxUnavailable == nil) {
			p = append(p, "spec: exactly one of minAvailable and maxUnavailable")
		}
		p = append(p, selectsPods("spec.selector", v.Spec.Selector, all)...)
	case *networkingv1.NetworkPolicy:
		p = append(p, selectsPods("spec.podSelector", &v.Spec.PodSelector, all)...)
		for i, rule := range v.Spec.Ingress {
			p = append(p, policyPortProblems(fmt.Sprintf("spec.ingress[%d]", i), rule.Ports, v.Spec.PodSelector, all)...)
		}
		for i, rule := range v.Spec.Egress {
			for _, to := range rule.To {
				if to.IPBlock != nil && to.IPBlock.CIDR == "" {
					p = append(p, fmt.Sprintf("spec.egress[%d]: ipBlock without cidr", i))
				}
			}
		}
	}
	return p
}

func labelProblems(field string, l map[string]string) []string {
	var p []string
	for k, v := range l {
		for _, msg := range validation.IsQualifiedName(k) {
			p = append(p, fmt.Sprintf("%s: key %q: %s", field, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			p = append(p, fmt.Sprintf("%s: %s=%q: %s", field, k, v, msg))
		}
	}
	return p
}

// selectorProblems: a Deployment's selector must select its own template (the API server refuses it otherwise).
func selectorProblems(field string, s *metav1.LabelSelector, template map[string]string) []string {
	if s == nil {
		return []string{field + ": required"}
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return []string{fmt.Sprintf("%s: %v", field, err)}
	}
	if sel.Empty() || !sel.Matches(labels.Set(template)) {
		return []string{fmt.Sprintf("%s: %s does not select the template's labels %v", field, sel, template)}
	}
	return nil
}

// selectsPods: a selector that selects the pods of no Deployment here is a typo.
func selectsPods(field string, s *metav1.LabelSelector, all []object) []string {
	if s == nil {
		return []string{field + ": required"}
	}
	if len(podsSelected(*s, all)) == 0 {
		return []string{fmt.Sprintf("%s: selects the pods of no Deployment here", field)}
	}
	return nil
}

func podsSelected(s metav1.LabelSelector, all []object) []corev1.PodSpec {
	sel, err := metav1.LabelSelectorAsSelector(&s)
	if err != nil {
		return nil
	}
	var pods []corev1.PodSpec
	for _, o := range all {
		if d, ok := o.value.(*appsv1.Deployment); ok && sel.Matches(labels.Set(d.Spec.Template.Labels)) {
			pods = append(pods, d.Spec.Template.Spec)
		}
	}
	return pods
}

// policyPortProblems: a named port in a policy must be a port of every pod it selects.
func policyPortProblems(field string, ports []networkingv1.NetworkPolicyPort, s metav1.LabelSelector, all []object) []string {
	var p []string
	for _, port := range ports {
		if port.Port == nil || port.Port.Type != intstr.String {
			continue
		}
		for _, pod := range podsSelected(s, all) {
			if !hasPort(pod, port.Port.StrVal) {
				p = append(p, fmt.Sprintf("%s: port %q is not a container port of every pod selected", field, port.Port.StrVal))
				break
			}
		}
	}
	return p
}

func hasPort(pod corev1.PodSpec, name string) bool {
	for _, c := range pod.Containers {
		for _, port := range c.Ports {
			if port.Name == name {
				return true
			}
		}
	}
	return false
}

// podProblems: names, env names, probe ports, mounts and the ConfigMaps the pod reads.
func podProblems(pod corev1.PodSpec, all []object) []string {
	var p []string
	volumes := map[string]bool{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = true
		for _, msg := range validation.IsDNS1123Label(v.Name) {
			p = append(p, fmt.Sprintf("volume %q: %s", v.Name, msg))
		}
	}
	for _, c := range pod.Containers {
		where := fmt.Sprintf("container %q", c.Name)
		for _, msg := range validation.IsDNS1123Label(c.Name) {
			p = append(p, where+": "+msg)
		}
		for _, port := range c.Ports {
			for _, msg := range validation.IsValidPortName(port.Name) {
				p = append(p, fmt.Sprintf("%s: port %q: %s", where, port.Name, msg))
			}
		}
		for _, e := range c.Env {
			for _, msg := range validation.IsEnvVarName(e.Name) {
				p = append(p, fmt.Sprintf("%s: env %q: %s", where, e.Name, msg))
			}
		}
		for _, from := range c.EnvFrom {
			if from.ConfigMapRef != nil && !configMapHere(from.ConfigMapRef.Name, all) &&
				(from.ConfigMapRef.Optional == nil || !*from.ConfigMapRef.Optional) {
				p = append(p, fmt.Sprintf("%s: envFrom ConfigMap %q is not in the manifests", where, from.ConfigMapRef.Name))
			}
		}
		for _, probe := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.Type == intstr.String &&
				!hasPort(corev1.PodSpec{Containers: []corev1.Container{c}}, probe.HTTPGet.Port.StrVal) {
				p = append(p, fmt.Sprintf("%s: probe port %q is not a container port", where, probe.HTTPGet.Port.StrVal))
			}
		}
		for _, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				p = append(p, fmt.Sprintf("%s: volumeMount %q names no volume", where, m.Name))
			}
		}
	}
	return p
}

func configMapHere(name string, all []object) bool {
	for _, o := range all {
		if cm, ok := o.value.(*corev1.ConfigMap); ok && cm.Name == name {
			return true
		}
	}
	return false
}
