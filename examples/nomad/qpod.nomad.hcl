# SPDX-License-Identifier: Apache-2.0
# qpod.nomad.hcl: a qpod bundle as a Nomad batch job, one VM per allocation.
#
#   nomad job run qpod.nomad.hcl
#   nomad job status qpod-app                 # each allocation's exit code
#   nomad alloc fs ALLOC qpod/local/result.json
#
# Each client node needs qemu and an installed qpod (`make install`), and
# the raw_exec driver enabled (plugin "raw_exec" { config { enabled = true } }).
# The task runs `qpod run` itself: the VM is qpod's, started and stopped
# with the task, and nothing else runs on the node for it. Nomad's own
# qemu driver cannot do this job: it boots a disk image and stops it
# with an ACPI shutdown, and cannot speak hyperstart's channel protocol,
# so it would have no command, no exit status and no stdio.
#
# Every allocation downloads the bundle and its signature into its own
# directory (artifact) and runs it only if the key signed it
# (`--verify-key`: else exit 125 and no VM). The guest gets
# NOMAD_ALLOC_INDEX (0..count-1). The cache is the node's own,
# /var/cache/qpod: raw_exec runs tasks as root, and only root can make or
# change anything there (with `user = "NAME"`, point QPOD_CACHE at a
# directory of that user's, such as its ~/.cache/qpod; qpod refuses a
# cache another account made or could change). Never shared between
# nodes. Results: the exit
# status is the task's; stdout and stderr are the task's logs (nomad
# alloc logs); `--result` leaves the outcome JSON in local/result.json.
# Sizing: one whole core per TCG VM, and the guest's 128 MiB (qpod's
# default -m) plus qemu's 75-85 MiB (`make bench`): 256 MB.
job "qpod-app" {
  type        = "batch"
  datacenters = ["dc1"]

  group "vm" {
    count = 8

    # a command's failure is a result, not a reason to boot it again
    restart {
      attempts = 0
      mode     = "fail"
    }

    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "qpod" {
      driver = "raw_exec"

      artifact {
        source      = "https://downloads.example.com/app/app.qpod"
        destination = "local/app.qpod"
        mode        = "file"
      }

      artifact {
        source      = "https://downloads.example.com/app/app.qpod.sig"
        destination = "local/app.qpod.sig"
        mode        = "file"
      }

      artifact {
        source      = "https://downloads.example.com/app/app.qpod.pub"
        destination = "local/app.qpod.pub"
        mode        = "file"
      }

      env {
        QPOD_CACHE = "/var/cache/qpod"
      }

      config {
        command = "/usr/local/bin/qpod"
        args = [
          "run",
          "--verify-key", "${NOMAD_TASK_DIR}/app.qpod.pub",
          "--result", "${NOMAD_TASK_DIR}/result.json",
          "-e", "NOMAD_ALLOC_INDEX",
          "${NOMAD_TASK_DIR}/app.qpod",
        ]
      }

      resources {
        cores  = 1
        memory = 256
      }

      kill_timeout = "20s"
    }
  }
}
