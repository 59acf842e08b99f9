#!/bin/sh
# scripts/man.sh - the man pages, from the binary's own help (`make man`).
#
#   sh scripts/man.sh EDGELM OUTDIR
#
# One page per command, edgelm-CMD.1, and one per subcommand of eval and distill, edgelm-eval-ppl.1
# style (edgelm-eval.1 lists them): each is `EDGELM_HELP_FORMAT=man edgelm CMD [SUB] --help`, the
# same usage, summary and option table as the text --help (cmd/helpfmt.c). edgelm.1 is made here
# from `edgelm --help`: its usage, description, command list and global options. The subcommands come
# from `EDGELM_HELP_FORMAT=opts edgelm CMD --help` ("subcommand" lines), the commands from
# --list-commands (`help` has no page of its own: edgelm.1 is its text).
set -eu
[ $# -eq 2 ] || { echo "usage: sh scripts/man.sh EDGELM OUTDIR" >&2; exit 2; }
bin=$1
out=$2
mkdir -p "$out"
version=$("$bin" --version | sed -n '1s/^edgelm \([^ ]*\).*/\1/p')
[ -n "$version" ] || { echo "man.sh: no version from '$bin --version'" >&2; exit 1; }

page() { # NAME ARGS...: one page from the binary
    name=$1
    shift
    EDGELM_HELP_FORMAT=man "$bin" "$@" --help > "$out/$name.1.tmp"
    mv "$out/$name.1.tmp" "$out/$name.1"
}

cmds=$("$bin" --list-commands | grep -vx help)
for c in $cmds; do
    page "edgelm-$c" "$c"
    for s in $(EDGELM_HELP_FORMAT=opts "$bin" "$c" --help | awk -F'\t' '$1 == "subcommand" { print $2 }'); do
        page "edgelm-$c-$s" "$c" "$s"
    done
done

# edgelm.1: `edgelm --help` is a usage block, a description paragraph, "commands:" with one
# "  NAME  SUMMARY" line each, "global options ...:" with "  FLAGS  HELP" lines, then closing lines.
"$bin" --help | awk -v version="$version" -v cmds="$cmds" '
function esc(s) {
    gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); gsub(/\047/, "\\(aq", s); gsub(/`/, "\\(ga", s)
    if (s ~ /^[.]/) s = "\\&" s
    return s
}
function flags(s,    n, i, parts, r) { # "-q, --quiet" in bold
    n = split(s, parts, /, /)
    r = ""
    for (i = 1; i <= n; i++) r = r (i > 1 ? ", " : "") "\\fB" esc(parts[i]) "\\fR"
    return r
}
BEGIN { state = "usage"; desc = ""; nsyn = 0 }
state == "usage" && /^$/ { state = "desc"; next }
state == "usage" { sub(/^usage: /, ""); sub(/^ +/, ""); syn[++nsyn] = $0; next }
state == "desc" && /^commands:$/ { state = "cmds"; next }
state == "desc" && /^$/ { next }
state == "desc" { desc = desc (desc == "" ? "" : "\n") $0; next }
state == "cmds" && /^$/ { state = "after"; next }
state == "cmds" { line = $0; sub(/^ +/, "", line); name = line; sub(/ .*/, "", name); sub(/^[^ ]+ +/, "", line)
                  cname[++ncmd] = name; csum[ncmd] = line; next }
state == "after" && /^global options/ { gtitle = $0; state = "glob"; next }
state == "glob" && /^$/ { state = "tail"; next }
state == "glob" { line = $0; sub(/^ +/, "", line); f = line; sub(/   *.*/, "", f); sub(/^[^ ]+(, [^ ]+)* +/, "", line)
                  gflag[++nglob] = f; ghelp[nglob] = line; next }
state == "tail" || state == "after" { if ($0 != "") tail[++ntail] = $0; next }
END {
    print ".\\\" Generated from `edgelm --help` by scripts/man.sh (make man); edit cmd/main.c, not this file."
    print ".TH EDGELM 1 \"\" \"edgelm " version "\" \"edgelm manual\""
    print ".nh\n.ad l"
    name = desc; sub(/:.*/, "", name); gsub(/\n/, " ", name); sub(/^edgelm /, "", name)
    print ".SH NAME\nedgelm \\- " esc(name)
    print ".SH SYNOPSIS"
    for (i = 1; i <= nsyn; i++) { s = syn[i]; sub(/^edgelm /, "", s); print (i > 1 ? ".br\n" : "") "\\fBedgelm\\fR " esc(s) }
    print ".SH DESCRIPTION"
    n = split(desc, d, /\n/)
    for (i = 1; i <= n; i++) print esc(d[i])
    print ".SH COMMANDS"
    for (i = 1; i <= ncmd; i++) {
        print ".TP\n\\fB" esc(cname[i]) "\\fR\n" esc(csum[i])
        if (index(" " cmds " ", " " cname[i] " ") || index("\n" cmds "\n", "\n" cname[i] "\n"))
            print ".br\nSee \\fBedgelm\\-" esc(cname[i]) "\\fR(1)."
    }
    t = gtitle; sub(/:$/, "", t)
    print ".SH OPTIONS\n" toupper(substr(t, 1, 1)) esc(substr(t, 2)) ":"
    for (i = 1; i <= nglob; i++) print ".TP\n" flags(gflag[i]) "\n" esc(ghelp[i])
    print ".SH EXIT STATUS"
    for (i = 1; i <= ntail; i++) print esc(tail[i]) (i < ntail ? "\n.br" : "")
    print ".SH FILES\n\\fIPREFIX/share/doc/edgelm/\\fR (\\fI/usr/share/doc/edgelm/\\fR from the Debian package): README.md and the guides, docs/*.md."
    printf ".SH SEE ALSO\n"
    first = 1
    n = split(cmds, cl, /[ \n]+/)
    for (i = 1; i <= n; i++) if (cl[i] != "") { printf "%s\\fBedgelm\\-%s\\fR(1)", (first ? "" : ",\n"), esc(cl[i]); first = 0 }
    print ""
}' > "$out/edgelm.1.tmp"
mv "$out/edgelm.1.tmp" "$out/edgelm.1"
