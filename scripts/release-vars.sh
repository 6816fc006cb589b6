# release-vars.sh is sourced by scripts/binaries.sh, image.sh and release.sh: what a build is
# stamped with, all from git, so that two builds of one commit are the same bytes. Each can be
# overridden from the environment.
VERSION=${VERSION:-$(git describe --tags --always --dirty)}
COMMIT=${COMMIT:-$(git rev-parse HEAD)}
# The commit's time (reproducible-builds.org's convention), never the build's.
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
DATE=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
DIST=${DIST:-dist}
export VERSION COMMIT SOURCE_DATE_EPOCH DATE DIST
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
