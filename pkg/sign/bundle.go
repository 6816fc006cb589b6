package sign

import (
	"bytes"
	"fmt"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// Media types of what Sign produces.
const (
	InTotoPayloadType = "application/vnd.in-toto+json"
	BundleMediaType   = "application/vnd.dev.sigstore.bundle.v0.3+json"
)

// Sign wraps an in-toto statement in a DSSE envelope signed by s and returns
// it as a Sigstore bundle v0.3 in JSON, naming the key by its hint as cosign
// does. The bundle carries no transparency log entry: gate verifies offline
// against keys it is configured with.
func (s *Signer) Sign(statement []byte) ([]byte, error) {
	sig, err := s.sv.SignMessage(bytes.NewReader(dsse.PAE(InTotoPayloadType, statement)))
	if err != nil {
		return nil, fmt.Errorf("signing statement: %w", err)
	}
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content: &protobundle.VerificationMaterial_PublicKey{
				PublicKey: &protocommon.PublicKeyIdentifier{Hint: s.hint},
			},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload:     statement,
			PayloadType: InTotoPayloadType,
			Signatures:  []*protodsse.Signature{{Sig: sig}},
		}},
	}
	out, err := protojson.Marshal(b)
	if err != nil {
		return nil, fmt.Errorf("encoding bundle: %w", err)
	}
	return out, nil
}
