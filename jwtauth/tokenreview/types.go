package tokenreview

// The wire types of the TokenReview API (group authentication.k8s.io),
// defined here rather than imported from k8s.io/api so that a webhook does
// not pull in the Kubernetes API machinery. The v1 and v1beta1 schemas are
// identical, so one set of structs serves both; APIVersion tells them
// apart. Field names and JSON tags follow k8s.io/api/authentication/v1.

// API group, versions and kind.
const (
	GroupName         = "authentication.k8s.io"
	APIVersionV1      = GroupName + "/v1"
	APIVersionV1beta1 = GroupName + "/v1beta1"
	Kind              = "TokenReview"
)

// TokenReview is the request kube-apiserver's webhook token authenticator
// sends (Spec) and the answer it expects back (Status).
type TokenReview struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   ObjectMeta `json:"metadata"`
	Spec       Spec       `json:"spec"`
	Status     Status     `json:"status"`
}

// ObjectMeta is the part of Kubernetes object metadata a TokenReview can
// carry. kube-apiserver sends an empty one ({"creationTimestamp":null});
// other members are accepted and ignored.
type ObjectMeta struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// Spec is the token to review and the audiences it is presented to.
type Spec struct {
	// Token is the opaque bearer token.
	Token string `json:"token,omitempty"`
	// Audiences are the identifiers of the resource server the token was
	// presented to. Empty means the server's implicit audiences
	// (Options.ImplicitAudiences, kube-apiserver's --api-audiences).
	Audiences []string `json:"audiences,omitempty"`
}

// Status is the result of the review.
type Status struct {
	// Authenticated is true when the token maps to a user.
	Authenticated bool `json:"authenticated,omitempty"`
	// User is the user the token maps to (empty unless Authenticated).
	User UserInfo `json:"user"`
	// Audiences are the requested audiences the answer is valid for: the
	// intersection of the requested and the implicit audiences.
	Audiences []string `json:"audiences,omitempty"`
	// Error says why the token could not be checked or was refused. It
	// never contains the token.
	Error string `json:"error,omitempty"`
}

// UserInfo is the authenticated user, as kube-apiserver's user.Info.
type UserInfo struct {
	Username string              `json:"username,omitempty"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

// apiStatus is the metav1.Status object kube-apiserver returns for a
// failed request; a client built with client-go shows its Message.
type apiStatus struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Metadata   struct{} `json:"metadata"`
	Status     string   `json:"status"`
	Message    string   `json:"message"`
	Reason     string   `json:"reason"`
	Code       int      `json:"code"`
}
