#!/bin/sh
# The ARouter benchmark: gateway vs a direct call vs nginx, on loopback. Not part of `dotnet test`.
# Usage: bench/run.sh [--duration 5] [--warmup 3] [--connections 1,16,64]
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
dotnet build src/ARouter/ARouter.csproj -c Release -nologo -v q
dotnet build bench/ARouter.Bench/ARouter.Bench.csproj -c Release -nologo -v q
exec dotnet bench/ARouter.Bench/bin/Release/net10.0/ARouter.Bench.dll --repo "$repo" "$@"
