# The annex image, built without a registry: no base image is pulled. `make image`
# builds the static, cgo-free binary on the host and prepares this context
# (build/image/): annex, etc/passwd, etc/group, and the empty data/ and tmp/.
# Building the binary in a golang stage would need the golang image, which a
# registry-less Docker engine cannot pull.
FROM scratch

# A user name for 65532 so that tools reading /etc/passwd (and Go's os/user) find one.
COPY etc/passwd etc/group /etc/
# The data directory must be writable by the non-root user: the store, the
# inboxes, the SFTP accounts and the host key live there. scratch has no
# shell to chown it, so the empty directory is copied in with its owner.
COPY --chown=65532:65532 data /data
COPY --chown=65532:65532 tmp /tmp
COPY annex /annex

USER 65532:65532
WORKDIR /data
VOLUME /data

# engine REST API (/api, /healthz), mock ALMA, mock ALEPH HTTP, mock ALEPH raw NCIP, SFTP
EXPOSE 7700 7701 7702 5991 2222

# No shell or curl in scratch: the binary probes itself.
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/annex", "health", "http://127.0.0.1:7700/healthz"]

ENTRYPOINT ["/annex"]
# 0.0.0.0: published ports reach the container through its bridge address, never its loopback.
CMD ["up", "--bind", "0.0.0.0", "--data", "/data"]
