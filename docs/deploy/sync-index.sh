#!/bin/sh
# Copy a newsfinder index from the build host to an app server, safely while both are in use
# (tested by tests/test_replicas.py):
#
#   sync-index.sh /srv/news-index app1:/srv/news-index      (rsync over ssh)
#   sync-index.sh /srv/news-index /mnt/replica/news-index   (a local folder)
#
# 1. The build that the source's `current` names is read once, then copied with the rest of
#    the builds; a reindex that finishes meanwhile is picked up by the next sync, never half.
# 2. The destination's `current` is then pointed at that build (rsync replaces a symlink by
#    renaming over it, so a server sees the old build or the new one, never none).
# 3. After a grace time (the servers move to a new build within half a second), builds the
#    source no longer has are deleted from the destination.
# An rsync error stops the script before `current` moves: the destination keeps serving its
# last complete build.
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 SOURCE_INDEX DESTINATION_INDEX (DESTINATION may be host:/path)" >&2
    exit 2
fi
source=${1%/}
destination=${2%/}
grace=${NEWSFINDER_SYNC_GRACE:-5}

build=$(readlink "$source/current") || { echo "error: $source/current is not an index's current build" >&2; exit 1; }
case $build in builds/*) ;; *) echo "error: $source/current points outside builds/: $build" >&2; exit 1 ;; esac

# rsync's status 24 (files vanished while copying) is a reindex at work on the source: harmless
# for every build but the one being published, which step 1b copies strictly.
copy_all() {
    status=0
    rsync -a --exclude /current --exclude /reindex.lock "$@" "$source/" "$destination/" || status=$?
    [ "$status" -eq 0 ] || [ "$status" -eq 24 ]
}

copy_all
# The same build again: a reindex that deleted or changed nothing is a quick no-op here, and a
# build that vanished during the first pass fails the script instead of being published.
rsync -a "$source/$build/" "$destination/$build/"

pointer=$(mktemp -d)
trap 'rm -rf "$pointer"' EXIT
ln -s "$build" "$pointer/current"
rsync -a "$pointer/current" "$destination/"

sleep "$grace"
copy_all --delete --exclude "/$build"
