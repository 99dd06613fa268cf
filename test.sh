#!/usr/bin/env bash
# Builds everything and runs the whole test suite (Release: the differential tests run real inference).
set -euo pipefail
cd "$(dirname "$0")"
dotnet test Specula.slnx -c Release "$@"
