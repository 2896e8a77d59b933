# Reads the sm_90 PTX of kernel modules (scripts/check-kernels) and prints "FILE: ENTRY (why)" for
# each kernel that does not run griddepcontrol.wait before its first memory access, call, branch or
# label, i.e. whose body does not start with fm_grid_dependency (fathom_kernels.cuh). A kernel
# launched as a programmatic dependent (-Dfathom.cuda.pdl) could otherwise read what the kernel
# before it is still writing. Exits 1 when it printed anything.
function fail(why,    line) {
    line = $0
    gsub(/^[ \t]+|[ \t]+$/, "", line)
    print FILENAME ": " entry " (" why (line == "}" ? "" : ": " line) ")"
    bad = 1
    waited = 1
}
/^\.(visible \.)?entry / {
    entry = $0
    sub(/^\.(visible \.)?entry /, "", entry)
    sub(/\(.*/, "", entry)
    body = 1
    waited = 0
    next
}
body && /griddepcontrol\.wait/ { waited = 1 }
body && !waited && /^[ \t]*(@!?%p[0-9]+[ \t]+)?(ld|ldu|st|atom|red|call|bra|tex|suld|sust|prefetch|cp\.async)[. \t]/ && !/^[ \t]*ld\.param/ {
    fail("memory, a call or a branch before griddepcontrol.wait")
}
body && !waited && /^\$L/ { fail("a label before griddepcontrol.wait") }
body && /^}/ {
    if (!waited) fail("no griddepcontrol.wait")
    body = 0
}
END { exit bad }
