#!/usr/bin/env bash
# What a user of the published artifacts sees, checked end to end (run by .ci/run after the tests):
#  1. `mvn install` leaves core, cli, their sources and javadoc jars in the local repository, and
#     core's dependency tree has no platform-native jar;
#  2. the distribution tarball, unpacked where only `java` is on the PATH, runs `bin/crate info`
#     and a prediction;
#  3. the examples project, copied out of the repository so that it sees only the installed
#     artifacts, compiles and prints the same top-5 as `crate predict`.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn="${MVN:-mvn}"
export MAVEN_OPTS="${MAVEN_OPTS:-} -Dstyle.color=never"
version=$(sed -n 's:^  <version>\(.*\)</version>.*:\1:p' pom.xml | head -1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== install ($version)"
"$mvn" -B -q install -DskipTests
repo="${HOME}/.m2/repository/io/github/crate4j"
for f in crate4j-core/$version/crate4j-core-$version.jar crate4j-core/$version/crate4j-core-$version-sources.jar \
         crate4j-core/$version/crate4j-core-$version-javadoc.jar crate4j-cli/$version/crate4j-cli-$version.jar \
         crate4j-cli/$version/crate4j-cli-$version-sources.jar crate4j-cli/$version/crate4j-cli-$version-javadoc.jar; do
  [ -f "$repo/$f" ] || { echo "missing in the local repository: $f" >&2; exit 1; }
done
"$mvn" -B -q dependency:tree -pl crate4j-core -Dscope=compile -DoutputFile="$work/core-tree.txt"
if grep -E ':(linux|macosx|windows|android|ios)-[a-z0-9_-]+:' "$work/core-tree.txt"; then
  echo "crate4j-core's compile dependencies include a platform-native jar (above)" >&2; exit 1
fi
echo "core's dependency tree has no platform-native jar"

echo "== distribution on a bare JRE"
tar -xzf "crate4j-cli/target/crate4j-$version.tar.gz" -C "$work"
mkdir -p "$work/jre-only"
ln -s "$(readlink -f "$(command -v java)")" "$work/jre-only/java"
# a shell and dirname, as any machine has; no Maven, no JDK tools
for t in bash dirname; do ln -s "$(command -v $t)" "$work/jre-only/$t"; done
dist() { env -i HOME="$HOME" PATH="$work/jre-only" "$work/crate4j-$version/bin/crate" "$@"; }
dist --version
dist info --model crate-tiny | head -3
dist make-synthetic --out "$work/images" --train 3 --val 3 --size 16 >/dev/null
dist convert crate4j-core/src/test/resources/fixtures/crate_main_module.pth "$work/model.safetensors" --heads 4 >/dev/null
image=$(find "$work/images/val" -name '*.png' | sort | head -1)
dist predict --weights "$work/model.safetensors" --top 5 "$image" | tail -n +3 | sed 's/^ *//' > "$work/cli.txt"
cat "$work/cli.txt"

echo "== the README's example as a consumer project"
cp -r examples "$work/consumer"
(cd "$work/consumer" && "$mvn" -B -q compile exec:java -Dexec.args="$work/model.safetensors $image" 2>/dev/null) \
  | sed 's/\x1b\[[0-9;]*m//g' | grep '%' | sed 's/^ *//' > "$work/example.txt"
cat "$work/example.txt"
if ! diff -u "$work/cli.txt" "$work/example.txt"; then
  echo "the example's top-5 differs from crate predict's" >&2; exit 1
fi
echo "consumer check: the example prints the same top-5 as crate predict"
