package admission

import "github.com/gatehq/gate/pkg/oci"

// ownRegistryOptions are the options of the clients that read with the webhook's own
// credentials (registryCredentials in the chart), never a Pod's: the freeze repository and
// policy bundles.
func ownRegistryOptions(o Options) []oci.Option {
	if o.InsecureRegistry {
		return []oci.Option{oci.WithInsecure()}
	}
	return nil
}
