// Package certs keeps the webhook's own TLS: it creates and rotates a CA and a serving
// certificate in a Secret, serves that certificate as the Secret changes, and keeps the webhook
// configurations' caBundle in step, so that no admission ever meets a certificate it cannot trust.
package certs
