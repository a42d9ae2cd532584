#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# pipeline.sh: the commands a CI job runs to ship an image as a qpod bundle
# (docs/bundle.md "CI pipelines"; github-actions.yml calls it; test/bundle.bats
# runs it). Environment:
#   IMAGE        the image the pipeline built (docker save, skopeo, buildah,
#                kaniko --tarPath ...: anything `qpod run` takes)
#   OUTPUT       the bundle to write, e.g. dist/app.qpod
#   SELFTEST     the command that proves the bundle works, e.g. "selftest"
#   SIGNING_KEY  an ssh private key file (optional): OUTPUT.sig, OUTPUT.pub
#   PUBLISH      REGISTRY/REPO:TAG (optional): `qpod push` the bundle and its
#                signature there (credentials: an auth.json, as podman's)
#   QPOD         the qpod to use (default: qpod on PATH)
# SOURCE_DATE_EPOCH defaults to the last commit's time: the same commit
# gives the same bundle, byte for byte, on any machine.
set -eu
QPOD=${QPOD:-qpod}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH
mkdir -p "$(dirname "$OUTPUT")"
if [ -n "${SIGNING_KEY:-}" ]; then
	"$QPOD" bundle "$IMAGE" -o "$OUTPUT" --sign "$SIGNING_KEY"
	ssh-keygen -y -f "$SIGNING_KEY" > "$OUTPUT.pub"
	"$QPOD" verify --verify-key "$OUTPUT.pub" "$OUTPUT"
else
	"$QPOD" bundle "$IMAGE" -o "$OUTPUT"
	"$QPOD" verify "$OUTPUT"
fi
# The self-test boots the bundle itself, as every host will.
eval "\"\$QPOD\" run \"\$OUTPUT\" $SELFTEST"
"$QPOD" inspect "$OUTPUT" > "$OUTPUT.json"
if [ -n "${PUBLISH:-}" ]; then
	"$QPOD" push "$OUTPUT" "$PUBLISH"
fi
