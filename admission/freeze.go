package admission

import "github.com/gatehq/gate/pkg/oci"

// freezeRegistryOptions are the options of the client that reads the freeze repository.
func freezeRegistryOptions(o Options) []oci.Option {
	if o.InsecureRegistry {
		return []oci.Option{oci.WithInsecure()}
	}
	return nil
}
