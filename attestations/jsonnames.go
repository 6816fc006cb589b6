package attestations

import (
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// jsonNamesOnly refuses a key of raw that protojson would accept for m's
// type only by its proto field name (failed_tests for failedTests): protojson
// reads both spellings, while the policy, like every other JSON reader, reads
// the JSON name alone, so a body using the proto name would pass validation
// and then read as the field being absent.
func jsonNamesOnly(raw []byte, m proto.Message) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	return checkJSONNames(v, m.ProtoReflect().Descriptor(), "")
}

func checkJSONNames(v any, md protoreflect.MessageDescriptor, path string) error {
	if md.FullName().Parent() == "google.protobuf" {
		return nil // well-known types (Timestamp, Struct, …) have their own JSON forms
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil // protojson has already refused a wrong JSON type
	}
	for k, child := range obj {
		fd := md.Fields().ByJSONName(k)
		if fd == nil {
			if alt := md.Fields().ByName(protoreflect.Name(k)); alt != nil {
				return fmt.Errorf("field %s%s: write it as %q, its JSON name", path, k, alt.JSONName())
			}
			continue // protojson has already refused an unknown field
		}
		if fd.Message() == nil || fd.IsMap() {
			continue
		}
		if fd.IsList() {
			items, _ := child.([]any)
			for i, item := range items {
				if err := checkJSONNames(item, fd.Message(), fmt.Sprintf("%s%s[%d].", path, k, i)); err != nil {
					return err
				}
			}
			continue
		}
		if err := checkJSONNames(child, fd.Message(), path+k+"."); err != nil {
			return err
		}
	}
	return nil
}
