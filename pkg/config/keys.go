package config

import "crypto"

// KeyRole says which role holds the public key pub, and the key file the
// config names it by; ok is false when no role holds it, so that a signer
// can be told before signing that what it signs would never count.
func (c *Config) KeyRole(pub crypto.PublicKey) (role, file string, ok bool) {
	eq, can := pub.(interface{ Equal(crypto.PublicKey) bool })
	if !can {
		return "", "", false
	}
	for _, k := range c.keys {
		if eq.Equal(k.PublicKey) {
			return k.Role, k.Name, true
		}
	}
	return "", "", false
}
