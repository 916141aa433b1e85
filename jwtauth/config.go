package jwtauth

// The types in this file mirror the external types of
// apiserver.config.k8s.io/{v1alpha1,v1beta1,v1} AuthenticationConfiguration
// field for field, so a configuration file maps one-to-one onto them.
// See https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration

// Supported apiVersion values. All three decode to the same structs: the
// external schemas are identical.
const (
	GroupName       = "apiserver.config.k8s.io"
	APIVersionV1    = GroupName + "/v1"
	APIVersionBeta  = GroupName + "/v1beta1"
	APIVersionAlpha = GroupName + "/v1alpha1"
	Kind            = "AuthenticationConfiguration"
)

// AuthenticationConfiguration is the top-level configuration document.
type AuthenticationConfiguration struct {
	APIVersion string               `json:"apiVersion" yaml:"apiVersion"`
	Kind       string               `json:"kind" yaml:"kind"`
	JWT        []JWTAuthenticator   `json:"jwt,omitempty" yaml:"jwt,omitempty"`
	Anonymous  *AnonymousAuthConfig `json:"anonymous,omitempty" yaml:"anonymous,omitempty"`
}

// AnonymousAuthConfig mirrors the anonymous section. structauth does not
// authenticate anonymous requests; the section is parsed and validated so
// that a kube-apiserver file loads unchanged.
type AnonymousAuthConfig struct {
	Enabled    bool                     `json:"enabled" yaml:"enabled"`
	Conditions []AnonymousAuthCondition `json:"conditions,omitempty" yaml:"conditions,omitempty"`
}

// AnonymousAuthCondition is one path for which anonymous access is allowed.
type AnonymousAuthCondition struct {
	Path string `json:"path" yaml:"path"`
}

// JWTAuthenticator is one jwt[] entry: an issuer and how its tokens map to users.
type JWTAuthenticator struct {
	Issuer               Issuer                `json:"issuer" yaml:"issuer"`
	ClaimValidationRules []ClaimValidationRule `json:"claimValidationRules,omitempty" yaml:"claimValidationRules,omitempty"`
	ClaimMappings        ClaimMappings         `json:"claimMappings" yaml:"claimMappings"`
	UserValidationRules  []UserValidationRule  `json:"userValidationRules,omitempty" yaml:"userValidationRules,omitempty"`
}

// AudienceMatchPolicy values.
const AudienceMatchPolicyMatchAny = "MatchAny"

// Issuer describes the OIDC provider.
type Issuer struct {
	URL                  string   `json:"url" yaml:"url"`
	DiscoveryURL         string   `json:"discoveryURL,omitempty" yaml:"discoveryURL,omitempty"`
	CertificateAuthority string   `json:"certificateAuthority,omitempty" yaml:"certificateAuthority,omitempty"`
	Audiences            []string `json:"audiences" yaml:"audiences"`
	AudienceMatchPolicy  string   `json:"audienceMatchPolicy,omitempty" yaml:"audienceMatchPolicy,omitempty"`
	EgressSelectorType   string   `json:"egressSelectorType,omitempty" yaml:"egressSelectorType,omitempty"`
}

// ClaimValidationRule is either the claim form (Claim, RequiredValue) or the
// expression form (Expression, Message).
type ClaimValidationRule struct {
	Claim         string `json:"claim,omitempty" yaml:"claim,omitempty"`
	RequiredValue string `json:"requiredValue,omitempty" yaml:"requiredValue,omitempty"`
	Expression    string `json:"expression,omitempty" yaml:"expression,omitempty"`
	Message       string `json:"message,omitempty" yaml:"message,omitempty"`
}

// ClaimMappings maps claims to the user's attributes.
type ClaimMappings struct {
	Username PrefixedClaimOrExpression `json:"username" yaml:"username"`
	Groups   PrefixedClaimOrExpression `json:"groups,omitempty" yaml:"groups,omitempty"`
	UID      ClaimOrExpression         `json:"uid,omitempty" yaml:"uid,omitempty"`
	Extra    []ExtraMapping            `json:"extra,omitempty" yaml:"extra,omitempty"`
}

// PrefixedClaimOrExpression is the claim form (Claim, Prefix) or the
// expression form (Expression). Prefix is a pointer because kube-apiserver
// tells "prefix: null" / absent (not set) apart from `prefix: ""` (set, empty).
type PrefixedClaimOrExpression struct {
	Claim      string  `json:"claim,omitempty" yaml:"claim,omitempty"`
	Prefix     *string `json:"prefix,omitempty" yaml:"prefix,omitempty"`
	Expression string  `json:"expression,omitempty" yaml:"expression,omitempty"`
}

// ClaimOrExpression is the claim form or the expression form.
type ClaimOrExpression struct {
	Claim      string `json:"claim,omitempty" yaml:"claim,omitempty"`
	Expression string `json:"expression,omitempty" yaml:"expression,omitempty"`
}

// ExtraMapping maps one extra key to a CEL expression.
type ExtraMapping struct {
	Key             string `json:"key" yaml:"key"`
	ValueExpression string `json:"valueExpression" yaml:"valueExpression"`
}

// UserValidationRule is a CEL expression over the mapped user.
type UserValidationRule struct {
	Expression string `json:"expression" yaml:"expression"`
	Message    string `json:"message,omitempty" yaml:"message,omitempty"`
}
