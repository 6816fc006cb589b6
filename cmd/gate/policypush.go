package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehq/gate/pkg/bundle"
	"github.com/gatehq/gate/pkg/config"
	"github.com/gatehq/gate/pkg/policy"
	"github.com/gatehq/gate/pkg/sign"
	"github.com/spf13/cobra"
)

func newPolicyPush() *cobra.Command {
	var reg registryFlags
	var key, dir, data, cfgPath, env string
	cmd := &cobra.Command{
		Use:   "push oci://REG/REPO:TAG --key KEY (--policy DIR [--data FILE] | --config gate.yaml --env ENV)",
		Short: "Pack a policy and its data as an OPA bundle, push it to a registry and sign its digest",
		Long: `push packs the .rego files of a policy directory (tests left out) and one data file,
mounted at data.gate.params, as an OPA bundle: one tar.gz layer in an OCI artifact
of the media types OPA's OCI downloader reads, so opa can pull it too. It stores it under the tag, then signs
the artifact's digest with KEY as a policy bundle (` + "`https://gatehq.dev/policy-bundle/v1`" + `),
stored beside it as a referrer.

An environment of gate.yaml uses it with
  policy: oci://REG/REPO@sha256:…   pinned: changes only with the config; roll back
                                    by pinning an older digest
  policy: oci://REG/REPO:TAG        followed: the webhook polls the tag every policyPoll
                                    (default 1m) and swaps in each new signed bundle
and no data: (the bundle carries it). gate uses a bundle only if a role whose maySign
lists policy signed its digest: a bundle changed after signing is a new digest that
nobody signed, and is refused.`,
		Example: `  gate policy push "oci://$REGISTRY/gate/policy:production" --key policy-owner.key --policy policies --data policies/data/production.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, ok := config.IsBundle(args[0])
			if !ok {
				return fmt.Errorf("%s: give the bundle's place as oci://REG/REPO:TAG", args[0])
			}
			if cfgPath != "" || env != "" {
				if cmd.Flags().Changed("policy") || data != "" {
					return errors.New("give either --policy/--data or --config/--env: the config names the environment's policy and data")
				}
				src, err := config.Read(cfgPath)
				if err != nil {
					return err
				}
				if dir, data, err = src.Policy(env); err != nil {
					return err
				}
			}
			signer, err := sign.LoadKeyFromEnv(key)
			if err != nil {
				return err
			}
			c, ctx, cancel := reg.client(cmd.Context())
			defer cancel()
			p, err := bundle.Push(ctx, c, signer, ref, dir, data)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed policy bundle %s%s (%s)\n  signed as %s, stored as referrer %s\n  pin an environment to it with  policy: %s%s\n",
				config.BundleScheme, p.Digest, strings.Join(p.Files, ", "), "policy bundle", p.Signature, config.BundleScheme, p.Digest)
			return nil
		},
	}
	reg.register(cmd)
	f := cmd.Flags()
	f.StringVar(&key, "key", "", "cosign private key file of a role whose maySign lists policy (password from $"+sign.PasswordEnv+")")
	f.StringVar(&dir, "policy", "policies", "the policy directory")
	f.StringVar(&data, "data", "", "the params file, mounted at data.gate.params")
	f.StringVar(&cfgPath, "config", "", "take --policy and --data from this trust config's environment --env")
	f.StringVar(&env, "env", "", "with --config, the environment whose policy and data to push")
	_ = cmd.MarkFlagRequired("key")
	return cmd
}

// bundleSide returns the side of a policy diff that rev names: a policy
// bundle (oci://…), fetched and verified under the trust config at cfgPath,
// or a git revision.
func bundleSide(ctx context.Context, reg *registryFlags, cfgPath, env, rev string) (policy.Revision, error) {
	ref, ok := config.IsBundle(rev)
	if !ok {
		snap, err := policy.NewSnapshot(rev)
		if err != nil {
			return policy.Revision{}, err
		}
		return policy.Revision{Name: rev, Snapshot: snap}, nil
	}
	if cfgPath == "" {
		return policy.Revision{}, fmt.Errorf("%s: a policy bundle is used only once its signature is verified: give the trust config with --config", rev)
	}
	c, ctx, cancel := reg.client(ctx)
	defer cancel()
	// Only the trust is needed to verify a bundle: compile no more policies than one.
	cfg, err := loadConfig(ctx, cfgPath, withBundles(c), config.OnlyEnvironment(env))
	if err != nil {
		return policy.Revision{}, err
	}
	f, err := bundle.Fetch(ctx, c, cfg, ref)
	if err != nil {
		return policy.Revision{}, err
	}
	return policy.Revision{Name: f.Policy.Version(), Policy: f.Policy}, nil
}
