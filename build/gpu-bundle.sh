#!/usr/bin/env bash
# dist/pe-tools-linux-x64.tar.xz: the torch-using tools, self-contained (no .NET needed on the target) and WITHOUT
# the bundled CPU libtorch: on the target they bind to the libtorch of an installed PyTorch (CUDA), found through
# python3, --libtorch or PE_LIBTORCH (src/PeTools.Torch/Native/LibTorchLocator.cs).
# Built from a copy of the sources so the no-libtorch restore never clobbers this checkout's obj/ folders.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/src"
cp -r global.json Directory.Build.props Directory.Build.targets Directory.Packages.props build "$stage/"
for p in PeTools.Core PeTools.Cli PeTools.Torch PeTools.Cli.Runs pe-gen-task pe-train pe-heads pe-spectrum PeTools.Report pe-report; do
  [ -d "src/$p" ] && (cd src && tar --exclude=bin --exclude=obj -cf - "$p") | tar -C "$stage/src" -xf -
done
out="$stage/pe-tools"
for tool in pe-train pe-heads pe-spectrum pe-gen-task pe-report; do
  [ -d "$stage/src/$tool" ] || continue
  dotnet publish "$stage/src/$tool" -c Release -r linux-x64 --self-contained true -p:PeToolsNoLibTorch=true \
    -p:PackAsTool=false -o "$out" -nologo -v quiet -clp:ErrorsOnly
done
# The commit the bundle was built from (+dirty with local changes to src/), for the GPU results it produces.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git diff --quiet HEAD -- src 2>/dev/null || commit="$commit+dirty"
echo "$commit" >"$out/COMMIT"
mkdir -p dist
tar -C "$stage" -cJf dist/pe-tools-linux-x64.tar.xz pe-tools
ls -la dist/pe-tools-linux-x64.tar.xz
