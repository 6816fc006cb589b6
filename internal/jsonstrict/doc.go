// Package jsonstrict refuses JSON that its readers would read differently:
// an object holding one key twice, exactly or differing in case only.
package jsonstrict
