// Package admit decides whether the images of one workload may run in an environment: each image
// is checked in parallel (verified in full, or taken from a fresh VSA where the environment's
// fastPath allows), decisions are kept per digest and policy version for a bounded time, and
// concurrent checks of the same digest are merged into one verification.
package admit
