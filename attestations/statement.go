package attestations

import (
	"encoding/json"
	"fmt"
	"strings"

	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
)

// Statement returns the in-toto Statement v1 that says predicate, of
// predicateType, about the artifact named name with the given digest
// ("sha256:<hex>"). A predicate that is a protocol buffer is encoded as
// protojson does; any other, as encoding/json does.
func Statement(name, digest, predicateType string, predicate any) ([]byte, error) {
	alg, hex, ok := strings.Cut(digest, ":")
	if !ok {
		return nil, fmt.Errorf("digest %q is not of the form algorithm:hex", digest)
	}
	var raw []byte
	var err error
	if m, ok := predicate.(proto.Message); ok {
		raw, err = protojson.Marshal(m)
	} else {
		raw, err = json.Marshal(predicate)
	}
	if err != nil {
		return nil, fmt.Errorf("encoding predicate: %w", err)
	}
	var pred structpb.Struct
	if err := protojson.Unmarshal(raw, &pred); err != nil {
		return nil, fmt.Errorf("predicate is not a JSON object: %w", err)
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: name, Digest: map[string]string{alg: hex}}},
		PredicateType: predicateType,
		Predicate:     &pred,
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("invalid statement: %w", err)
	}
	return protojson.Marshal(st)
}
