# shellcheck shell=bash
# Shared by scripts/* (sourced, never run): finds a JDK >= 25 and Maven, and sets up the
# environment every Fathom build and launch needs.
#
#   fathom_use_jdk        exports JAVA_HOME and PATH for a JDK >= 25, or explains and exits 1
#   fathom_require_maven  checks that mvn is on PATH, or explains and exits 1
#   fathom_maven_env      exports MAVEN_OPTS with the flag that quiets Maven on JDK 25
#
# Search order: $JAVA_HOME when it is a JDK >= 25; else the newest JDK >= 25 under
# ${FATHOM_JVM_DIR:-/usr/lib/jvm}; else the JDK of `java` on PATH when it is >= 25.

FATHOM_MIN_JAVA=25

# The feature version (e.g. 25) of the JDK at $1, read from its `release` file; empty when
# $1 is not a JDK (no bin/javac) or the version cannot be read.
fathom_jdk_version() {
    local home=$1 v
    [[ -x "$home/bin/java" && -x "$home/bin/javac" ]] || return 0
    if [[ -r "$home/release" ]]; then
        v=$(sed -n 's/^JAVA_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$home/release" | head -n 1)
    fi
    if [[ -z "${v:-}" ]]; then
        v=$("$home/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
    fi
    v=${v#1.}    # 1.8 -> 8
    v=${v%%[.+-]*}
    [[ "$v" =~ ^[0-9]+$ ]] && echo "$v"
    return 0
}

# Prints the JAVA_HOME of a JDK >= 25, or nothing.
fathom_find_jdk() {
    local v best="" best_v=0 dir java
    if [[ -n "${JAVA_HOME:-}" ]]; then
        v=$(fathom_jdk_version "$JAVA_HOME")
        if [[ -n "$v" && "$v" -ge $FATHOM_MIN_JAVA ]]; then
            echo "$JAVA_HOME"
            return 0
        fi
        echo "fathom: ignoring JAVA_HOME=$JAVA_HOME (${v:+JDK $v, }not a JDK $FATHOM_MIN_JAVA+)" >&2
    fi
    for dir in "${FATHOM_JVM_DIR:-/usr/lib/jvm}"/*/; do
        dir=${dir%/}
        [[ -d "$dir" ]] || continue
        v=$(fathom_jdk_version "$dir")
        if [[ -n "$v" && "$v" -ge $FATHOM_MIN_JAVA && "$v" -gt $best_v ]]; then
            best=$dir
            best_v=$v
        fi
    done
    if [[ -n "$best" ]]; then
        echo "$best"
        return 0
    fi
    if java=$(command -v java 2>/dev/null); then
        dir=$(dirname "$(dirname "$(readlink -f "$java")")")
        v=$(fathom_jdk_version "$dir")
        if [[ -n "$v" && "$v" -ge $FATHOM_MIN_JAVA ]]; then
            echo "$dir"
        fi
    fi
    return 0
}

fathom_use_jdk() {
    local home
    home=$(fathom_find_jdk)
    if [[ -z "$home" ]]; then
        cat >&2 <<MSG
fathom: Fathom needs JDK $FATHOM_MIN_JAVA or newer, and none was found
  (looked at JAVA_HOME=${JAVA_HOME:-<unset>}, ${FATHOM_JVM_DIR:-/usr/lib/jvm}/*, and java on PATH).
  Install one, then run this again:
    - apt-get install temurin-25-jdk   (after adding Adoptium's apt repository: https://adoptium.net/installation/linux/)
    - or unpack a JDK 25 from https://adoptium.net under /usr/lib/jvm/
    - or point JAVA_HOME at a JDK 25+ you already have.
MSG
        exit 1
    fi
    export JAVA_HOME=$home
    export PATH="$JAVA_HOME/bin:$PATH"
}

fathom_require_maven() {
    if ! command -v mvn >/dev/null 2>&1; then
        echo "fathom: Maven 3.8+ is needed to build Fathom and was not found on PATH: apt-get install maven" >&2
        exit 1
    fi
}

fathom_maven_env() {
    # Maven's bundled Guava calls sun.misc.Unsafe, which JDK 25 warns about on every run.
    case " ${MAVEN_OPTS:-} " in
        *" --sun-misc-unsafe-memory-access=allow "*) ;;
        *) export MAVEN_OPTS="${MAVEN_OPTS:+$MAVEN_OPTS }--sun-misc-unsafe-memory-access=allow" ;;
    esac
}
