#!/usr/bin/env bash
# Copies everything the rag-server binary needs at run time into OUT_DIR as a subset of a root
# filesystem (same absolute paths under OUT_DIR): the binary at usr/local/bin/rag-server, every
# shared library `ldd` lists for it (copied with its content, symlinks resolved, at the path the
# loader found it), the dynamic loader itself, glibc's Unicode iconv modules (PDF text), the CA
# certificate bundle, and - for the container
# HEALTHCHECK, because the runtime image has no shell - curl with its own libraries. The
# Dockerfile's runtime stage (FROM scratch) COPYs this tree; the integration test
# tests/integration/test_deploy_files.py runs the binary from it in a chroot to prove the list
# is complete.
#
# Usage: scripts/runtime-files.sh [--no-curl] [--strip] OUT_DIR [BINARY]
#   BINARY defaults to $RAG_SERVER_BIN, else build/rag-server under the repository root.
#   --no-curl  leave curl out (then the image needs another HEALTHCHECK).
#   --strip    strip debug symbols from the copied rag-server (smaller image).
# Exit status: 0 done; 1 usage error; 2 a file is missing or ldd reports "not found".
set -euo pipefail

usage() { echo "usage: $0 [--no-curl] [--strip] OUT_DIR [BINARY]" >&2; exit 1; }

with_curl=1
strip_binary=0
args=()
for arg in "$@"; do
  case "$arg" in
    --no-curl) with_curl=0 ;;
    --strip) strip_binary=1 ;;
    -h|--help) usage ;;
    -*) echo "unknown option: $arg" >&2; usage ;;
    *) args+=("$arg") ;;
  esac
done
[[ ${#args[@]} -ge 1 && ${#args[@]} -le 2 ]] || usage

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${args[0]}"
binary="${args[1]:-${RAG_SERVER_BIN:-$repo_root/build/rag-server}}"

if [[ ! -x "$binary" ]]; then
  echo "runtime-files: no executable at $binary (run scripts/setup.sh first)" >&2
  exit 2
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# copy_file SRC DEST_PATH: copies SRC's content (symlinks followed) to OUT/DEST_PATH.
copy_file() {
  local src="$1" dest="$out$2"
  mkdir -p "$(dirname "$dest")"
  cp -L --preserve=mode "$src" "$dest"
}

# copy_libs EXE: every library ldd lists for EXE, plus the loader, at the paths ldd prints.
copy_libs() {
  local exe="$1" listing
  listing="$(ldd "$exe")" || { echo "runtime-files: ldd failed on $exe" >&2; exit 2; }
  if grep -q 'not found' <<<"$listing"; then
    echo "runtime-files: unresolved libraries of $exe:" >&2
    grep 'not found' <<<"$listing" >&2
    exit 2
  fi
  # Lines look like "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or, for the
  # loader, "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
  local path
  while read -r path; do
    [[ -n "$path" ]] && copy_file "$path" "$path"
  done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$listing")
}

copy_file "$binary" /usr/local/bin/rag-server
if [[ $strip_binary -eq 1 ]]; then
  strip --strip-debug "$out/usr/local/bin/rag-server"
fi
copy_libs "$binary"

if [[ $with_curl -eq 1 ]]; then
  curl_bin="$(command -v curl || true)"
  if [[ -z "$curl_bin" ]]; then
    echo "runtime-files: curl is not installed (apt-get install -y curl, or pass --no-curl)" >&2
    exit 2
  fi
  copy_file "$curl_bin" /usr/local/bin/curl
  copy_libs "$curl_bin"
fi

# iconv's Unicode converters. poppler-cpp (PDF text in `rag-server index`) converts through
# iconv, and without these modules glibc's iconv_open("UTF-8", "UTF-16") fails, so every PDF
# page would come out empty. glibc looks for them in its canonical multiarch folder.
libc_path="$(ldd "$binary" | awk '$1 ~ /^libc\.so/ {print $3}')"
if [[ -n "$libc_path" ]]; then
  gconv_dir="$(readlink -f "$(dirname "$libc_path")")/gconv"
  if [[ -d "$gconv_dir" ]]; then
    for f in gconv-modules gconv-modules.cache UNICODE.so UTF-16.so UTF-32.so UTF-7.so ISO8859-1.so; do
      [[ -e "$gconv_dir/$f" ]] && copy_file "$gconv_dir/$f" "$gconv_dir/$f"
    done
    if [[ -d "$gconv_dir/gconv-modules.d" ]]; then
      for f in "$gconv_dir"/gconv-modules.d/*.conf; do
        [[ -e "$f" ]] && copy_file "$f" "$f"
      done
    fi
  fi
fi

# CA certificates for HTTPS upstreams. OpenSSL's default file is /usr/lib/ssl/cert.pem, a
# symlink to the bundle on Debian; recreate that link (it resolves inside the image).
ca_bundle=/etc/ssl/certs/ca-certificates.crt
if [[ ! -f "$ca_bundle" ]]; then
  echo "runtime-files: $ca_bundle missing (apt-get install -y ca-certificates)" >&2
  exit 2
fi
copy_file "$ca_bundle" "$ca_bundle"
mkdir -p "$out/usr/lib/ssl"
ln -sfn "$ca_bundle" "$out/usr/lib/ssl/cert.pem"
ln -sfn /etc/ssl/certs "$out/usr/lib/ssl/certs"

# Name resolution: glibc 2.36 has the files and dns NSS modules built in; say which to use.
mkdir -p "$out/etc"
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$out/etc/nsswitch.conf"

echo "runtime-files: $(find "$out" -type f | wc -l) files, $(du -sh "$out" | cut -f1) in $out"
