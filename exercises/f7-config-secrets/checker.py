"""Checker: LOG_LEVEL from a ConfigMap, the password as a file from a Secret, and the change rolled out.

It judges what the application sees: once the rollout has finished, it runs ``kubectl exec`` in every
running container of ``app`` (on the real node) and reads the environment, the command line of the main
process and the password file. It reads the pod template to say why what a container sees is wrong, and
for two things no container shows: whether LOG_LEVEL is taken from the ConfigMap or only copied from it,
and whether the Deployment itself, which more people may read than the Secret, spells out the password.
"""

import base64
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.checking.framework import remembered
from threeplanes.errors import LabError
from threeplanes.functional.configuration import last_change
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.wait import wait_for_rollout

CONFIG_MAP = "app-config"
SECRET = "db-credentials"
KEY = "LOG_LEVEL"
LEVEL = "debug"
FOLDER = "/etc/secrets"
FILE = f"{FOLDER}/password"
SETUP_PASSWORD = "changeme"  # the password the setup wrote into the Deployment: it must not stay anywhere
SETUP = ".venv/bin/threeplanes exercise setup f7-config-secrets -n {namespace}"
NAME = "app"
ROLLOUT_TIMEOUT = 30
RESTART = "kubectl rollout restart deployment app -n {namespace}"
PASSWORD_NAME = re.compile(r"passw(or)?d", re.IGNORECASE)
PASSWORD_FLAG = re.compile(r"pass(word|wd)?=(?P<value>.+)", re.IGNORECASE)
# One exec per container: each part base64-encoded, so that NULs, newlines and any byte come back intact.
READ = (
    'echo "env $(base64 -w0 /proc/self/environ)"; echo "cmdline $(base64 -w0 /proc/1/cmdline)"; '
    f'if f="$(base64 -w0 {FILE} 2>&1)"; then echo "file $f"; else echo "nofile $f"; fi'
)
# Containers that wait for one of these stay stuck until the reader changes something.
STUCK = ("CreateContainerConfigError", "CrashLoopBackOff", "ErrImageNeverPull", "ImagePullBackOff", "ErrImagePull")
WAITS: dict = {}  # the rollout waited for, kept a few seconds: the checker's second look does not wait again


@dataclass
class Seen:
    """What one running container shows from inside."""

    pod: str
    container: str
    main: bool  # the pod's first container, the application
    started: datetime | None
    env: dict[str, str] = field(default_factory=dict)
    cmdline: list[str] = field(default_factory=list)
    file: bytes | None = None  # None when the file cannot be read
    file_error: str = ""

    @property
    def where(self) -> str:
        return f"container {self.container} of pod {self.pod}"


def config_map(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_config_map, CONFIG_MAP, ctx.namespace)


def secret(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_secret, SECRET, ctx.namespace)


def password(ctx: Context) -> bytes:
    """The Secret's password, as the bytes the kubelet writes into the file."""
    return base64.b64decode((secret(ctx).data or {}).get("password") or "")


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def template(ctx: Context) -> Any:
    return deployment(ctx).spec.template.spec


def container(ctx: Context) -> Any:
    return template(ctx).containers[0]


def spec_of(ctx: Context, name: str) -> Any:
    return next((c for c in template(ctx).containers if c.name == name), container(ctx))


# --- what the containers see ----------------------------------------------------------------------


def read_container(ctx: Context, pod: Any, name: str, main: bool, started: datetime | None) -> Seen:
    command = f"exec -n {ctx.namespace} {pod.metadata.name} -c {name} -- sh -c {shlex.quote(READ)}"
    output = kubectl(command, ctx.cluster, show=False, timeout=20)
    seen = Seen(pod.metadata.name, name, main, started)
    for line in output.splitlines():
        part, _, value = line.partition(" ")
        if part == "env":
            pairs = [p.partition("=") for p in base64.b64decode(value).decode(errors="replace").split("\0") if p]
            seen.env = {k: v for k, _, v in pairs}
        elif part == "cmdline":
            seen.cmdline = [a for a in base64.b64decode(value).decode(errors="replace").split("\0") if a]
        elif part == "file":
            seen.file = base64.b64decode(value)
        elif part == "nofile":
            seen.file_error = value.strip()
    return seen


def seen(ctx: Context) -> list[Seen] | Failure:
    """What every running container of every pod of app shows, read once per look; a Failure if a pod
    does not run or cannot be read."""
    if "seen" not in ctx.notes:
        ctx.notes["seen"] = read_pods(ctx)
    return ctx.notes["seen"]


def read_pods(ctx: Context) -> list[Seen] | Failure:
    pods = criteria.deployment_pods(ctx, NAME)
    if not pods:
        return Failure(
            f"no pod of Deployment app runs (replicas: {deployment(ctx).spec.replicas})",
            "the checker reads the values inside the running containers: "
            f"kubectl scale deployment app --replicas=2 -n {ctx.namespace}",
        )
    views = []
    for pod in pods:
        statuses = {s.name: s for s in pod.status.container_statuses or []}
        for position, c in enumerate(pod.spec.containers):
            state = statuses[c.name].state if c.name in statuses else None
            if not (state and state.running):
                return Failure(
                    f"container {c.name} of pod {pod.metadata.name} is not running ({pod.status.phase})",
                    f"see why: kubectl describe pod {pod.metadata.name} -n {ctx.namespace}",
                )
            try:
                views.append(read_container(ctx, pod, c.name, position == 0, state.running.started_at))
            except LabError as error:
                return Failure(
                    f"kubectl exec in container {c.name} of pod {pod.metadata.name} (on node {pod.spec.node_name}) "
                    f"failed: {error}",
                    "the checker reads the values inside the container, on the real node, with the image's sh and "
                    "base64: keep the setup's nodeSelector and toleration, and its agnhost image",
                )
    return views


# --- the criteria -----------------------------------------------------------------------------------


def config_holds_level(ctx: Context) -> Failure | None:
    found = config_map(ctx)
    if found is None:
        return Failure(
            f"no ConfigMap named {CONFIG_MAP}",
            f"create it: kubectl create configmap {CONFIG_MAP} --from-literal={KEY}={LEVEL} -n {ctx.namespace}",
        )
    data = found.data or {}
    if KEY not in data:
        return Failure(
            f"{CONFIG_MAP} has the keys {', '.join(sorted(data)) or '(none)'}",
            f"the key must be {KEY} exactly (case and dashes matter); a variable that names a missing key "
            "keeps its container from starting (CreateContainerConfigError)",
        )
    if data[KEY] != LEVEL:
        return Failure(
            f"{KEY} is {data[KEY]!r} in {CONFIG_MAP}", f"set it to {LEVEL}: kubectl edit configmap {CONFIG_MAP}"
        )
    return None


def secret_holds_password(ctx: Context) -> Failure | None:
    found = secret(ctx)
    if found is None:
        return Failure(
            f"no Secret named {SECRET}",
            f"create it: kubectl create secret generic {SECRET} --from-literal=password=<password> -n {ctx.namespace}",
        )
    if not password(ctx):
        keys = ", ".join(sorted(found.data or {})) or "(none)"
        return Failure(f"{SECRET} has the keys {keys}", "it needs a non-empty key named password")
    return None


def deployment_exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return Failure(
            "no Deployment named app",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def level_from_config_map(ctx: Context) -> Failure | None:
    """Read from the template: a container whose LOG_LEVEL is a copy of the ConfigMap's value shows the same
    value as one that takes it from the ConfigMap; only the first follows a change."""
    wanted = f"valueFrom.configMapKeyRef with name {CONFIG_MAP} and key {KEY}"
    var = next((v for v in container(ctx).env or [] if v.name == KEY), None)
    if var is None:
        whole = [e for e in container(ctx).env_from or [] if e.config_map_ref and e.config_map_ref.name == CONFIG_MAP]
        if any(not e.prefix for e in whole):
            return None
        prefixed = f" (envFrom adds the prefix {whole[0].prefix}: {whole[0].prefix}{KEY})" if whole else ""
        return Failure(f"the container has no {KEY} variable{prefixed}", f"add one, with {wanted}")
    if var.value_from is None:
        return Failure(
            f"{KEY} is set as the literal {var.value!r} in the pod template",
            f"a literal lives in the Deployment, not in the ConfigMap, and does not follow it; use {wanted}",
        )
    ref = var.value_from.config_map_key_ref
    if ref is None:
        return Failure(f"{KEY} takes its value from something else than a ConfigMap", f"use {wanted}")
    if (ref.name, ref.key) != (CONFIG_MAP, KEY):
        return Failure(f"{KEY} comes from ConfigMap {ref.name}, key {ref.key}", f"use {wanted}")
    return None


def waiting_reasons(ctx: Context, reasons: tuple[str, ...] | None = None) -> str:
    """Why the containers of app's pods wait (of ``reasons`` only, if given), in the kubelet's words."""
    said = set()
    for pod in criteria.deployment_pods(ctx, NAME):
        for status in pod.status.container_statuses or []:
            waiting = status.state and status.state.waiting
            if (
                waiting
                and waiting.reason not in (None, "ContainerCreating")
                and waiting.reason in (reasons or [waiting.reason])
            ):
                said.add(f"{waiting.reason}: {waiting.message}" if waiting.message else waiting.reason)
    return "; ".join(sorted(said))


def rolled_out(ctx: Context) -> Failure | None:
    """Wait (bounded) for the rollout to finish: until then, some pods still run the previous template. A
    container that cannot start (a missing key, an image) ends the wait at once: no waiting mends it."""
    hint = (
        "the checker reads the values inside the pods once every pod runs the latest template; see why it does "
        f"not: kubectl rollout status deployment app -n {ctx.namespace}, then kubectl describe pods -l app=app"
    )

    def wait() -> Failure | None:
        stuck = waiting_reasons(ctx, STUCK)
        if stuck:
            return Failure(f"the rollout of app cannot finish: {stuck}", hint)
        try:
            wait_for_rollout(ctx.cluster, ctx.namespace, NAME, timeout=ROLLOUT_TIMEOUT)
        except LabError as error:
            reasons = waiting_reasons(ctx)
            return Failure(f"{error}" + (f"; containers wait: {reasons}" if reasons else ""), hint)
        return None

    found = deployment(ctx)
    key = (ctx.namespace, found.metadata.uid, found.metadata.generation)
    return remembered(WAITS, key, 5, wait)


def holds_file(mount_path: str) -> bool:
    """A volume mounted at ``mount_path`` may hold FILE: the path is FILE or a folder above it."""
    return FILE == mount_path or FILE.startswith(mount_path.rstrip("/") + "/")


def secret_source(ctx: Context) -> str:
    """Where the file named like the password comes from, in the template, for a failure's explanation."""
    spec = template(ctx)
    volumes = {v.name: v for v in spec.volumes or []}
    mounts = container(ctx).volume_mounts or []
    for mount in mounts:
        volume = volumes.get(mount.name)
        if volume is None:
            continue
        if volume.secret and volume.secret.secret_name == SECRET:
            at = mount.mount_path + (f" (subPath {mount.sub_path})" if mount.sub_path else "")
            if not holds_file(mount.mount_path):
                return (
                    f"the volume from {SECRET} is mounted at {at}; mount the volume at {FOLDER}, so that the key "
                    f"password becomes the file {FILE}"
                )
            items = {i.path: i.key for i in volume.secret.items or []}
            if items and items.get("password") != "password":
                return f"its items make the files {', '.join(sorted(items))}: make the key password the file password"
            return f"the volume from {SECRET} is mounted at {at}"
        if volume.config_map and holds_file(mount.mount_path):
            return (
                f"{mount.mount_path} is a volume from ConfigMap {volume.config_map.name}, not from Secret {SECRET}; "
                f"mount the Secret there"
            )
    as_env = [v.name for v in container(ctx).env or [] if v.value_from and v.value_from.secret_key_ref]
    if as_env:
        return (
            f"the Secret reaches the container as the variable {as_env[0]}, not as a file; mount it instead: "
            f"a volume with secret.secretName {SECRET}, mounted at {FOLDER}"
        )
    return f"no volume of the pod template comes from Secret {SECRET}: add one, and a volumeMount at {FOLDER}"


def password_is_a_file(ctx: Context) -> Failure | None:
    found = seen(ctx)
    if isinstance(found, Failure):
        return found
    wanted = password(ctx)
    for view in (s for s in found if s.main):
        if view.file == wanted:
            continue
        if view.file is None:
            return Failure(f"{view.where} cannot read {FILE} ({view.file_error})", secret_source(ctx))
        mount = next((m for m in container(ctx).volume_mounts or [] if m.mount_path == FILE and m.sub_path), None)
        refresh = (
            "it is mounted with subPath, which the kubelet never refreshes: restart the pods"
            if mount
            else "the kubelet rewrites a Secret's files a minute or so after a change; or restart the pods"
        )
        return Failure(
            f"{view.where} reads {FILE}, but it does not hold the Secret's current password",
            f"{secret_source(ctx)}. If you changed the Secret: {refresh}: {RESTART.format(namespace=ctx.namespace)}",
        )
    return None


def passwords(ctx: Context) -> list[str]:
    """The passwords that must appear nowhere: the Secret's, and the one the setup wrote in the Deployment."""
    return sorted({password(ctx).decode(errors="replace"), SETUP_PASSWORD})


def holds(text: str, known: list[str]) -> bool:
    """``text`` carries one of the ``known`` passwords (a short one only as a whole word, or after a =)."""
    return any(p in text if len(p) >= 6 else p in re.split(r"[\s=:@/'\"]+", text) for p in known if p)


def is_password(name: str, value: str, known: list[str]) -> bool:
    """A variable, a key or a flag that holds a password: a known one, or any value under a password's name
    (a name that ends in FILE, or a value that is a path, names the file instead)."""
    if holds(value, known):
        return True
    names_file = name.upper().endswith(("FILE", "PATH")) or value.startswith("/")
    return bool(PASSWORD_NAME.search(name)) and bool(value) and not names_file


def env_explained(ctx: Context, view: Seen, name: str) -> tuple[str, str]:
    """Where the variable ``name`` comes from, read in the template: what to say, and what to do."""
    spec = spec_of(ctx, view.container)
    var = next((v for v in spec.env or [] if v.name == name), None)
    remove = f"remove {name} from the pod template; the program reads the password from the file {FILE}"
    if var is not None and var.value_from is None:
        return f"{name} is a literal in the pod template", f"anyone who can read the Deployment reads it: {remove}"
    if var is not None and var.value_from.secret_key_ref:
        return (
            f"{name} takes the password from Secret {var.value_from.secret_key_ref.name}, so the Secret reaches the "
            "container as a variable, not as a file only",
            f"a variable is read by every process of the container and shows in crash dumps and logs: {remove}",
        )
    if var is not None and var.value_from.config_map_key_ref:
        ref = var.value_from.config_map_key_ref
        return f"{name} comes from ConfigMap {ref.name}, key {ref.key}", remove
    if any(e.secret_ref for e in spec.env_from or []):
        return "envFrom turns every key of a Secret into a variable", f"remove the envFrom of the Secret; {remove}"
    return "the pod template does not set it: the image or a wrapper does", remove


def no_literal_password(ctx: Context) -> Failure | None:
    """No password written into the Deployment, which more people may read than the Secret: in a variable of
    any container (init containers too), or in their command and arguments."""
    known = passwords(ctx)
    spec = template(ctx)
    for c in [*(spec.init_containers or []), *spec.containers]:
        for var in c.env or []:
            if var.value_from is None and is_password(var.name, var.value or "", known):
                return Failure(
                    f"{var.name} is a literal in the pod template",
                    f"anyone who can read the Deployment reads it: remove {var.name}; the password comes from the "
                    f"file {FILE}",
                )
        for word in [*(c.command or []), *(c.args or [])]:
            if holds(word, known) or literal_flag(word):
                return Failure(
                    f"the command or args of container {c.name} carry the password as a literal "
                    f"({word.split('=')[0]}=...)",
                    f"anyone who can read the Deployment reads it: remove it; the program reads the file {FILE}",
                )
    return None


def no_password_elsewhere(ctx: Context) -> Failure | None:
    """The password in no ConfigMap, and in no variable and no argument of the main process of any running
    container: a Secret's value the kubelet put in a variable, or a shell put on a command line."""
    known = passwords(ctx)
    for cm in ctx.cluster.core.list_namespaced_config_map(ctx.namespace).items:
        binary = {k: base64.b64decode(v).decode(errors="replace") for k, v in (cm.binary_data or {}).items()}
        for key, value in {**(cm.data or {}), **binary}.items():
            if is_password(key, value, known):
                return Failure(
                    f"ConfigMap {cm.metadata.name} holds the password (key {key})",
                    "a ConfigMap is not a secret: anyone who may read ConfigMaps reads it in full. Keep the "
                    f"password only in Secret {SECRET}, mount the Secret at {FOLDER}, and remove the key: "
                    f"kubectl edit configmap {cm.metadata.name} -n {ctx.namespace}",
                )
    found = seen(ctx)
    if isinstance(found, Failure):
        return found
    for view in found:
        name = next((k for k, v in sorted(view.env.items()) if is_password(k, v, known)), None)
        if name is not None:
            why, hint = env_explained(ctx, view, name)
            return Failure(f"the environment of {view.where} has {name} holding a password: {why}", hint)
        if any(holds(a, known) or literal_flag(a) for a in view.cmdline):
            return Failure(
                f"the main process of {view.where} runs with the password in its arguments, though the pod "
                "template holds none: a shell put it there when the container started",
                "anyone on the node sees a process's arguments (ps): let the program read the file itself (a flag "
                f"or a *_FILE variable naming {FILE})",
            )
    return None


def literal_flag(word: str) -> bool:
    """``--db-password=secret``; not ``--password=/etc/secrets/password`` (a path), nor a shell's
    ``PASSWORD="$(cat ...)"`` (expanded when it runs, out of the command line if the shell keeps it a variable)."""
    flag = PASSWORD_FLAG.search(word)
    return bool(flag) and not flag["value"].lstrip("\"'").startswith(("/", "$"))


def level_seen(ctx: Context) -> Failure | None:
    """Every application container has, in its environment, the ConfigMap's current LOG_LEVEL: it read it
    when it started, after the ConfigMap's last change."""
    found = seen(ctx)
    if isinstance(found, Failure):
        return found
    current = (config_map(ctx).data or {}).get(KEY)
    restart = RESTART.format(namespace=ctx.namespace)
    for view in (s for s in found if s.main):
        level = view.env.get(KEY)
        if level == current:
            continue
        if level is None:
            return Failure(f"the environment of {view.where} has no {KEY} variable", f"take {KEY} from {CONFIG_MAP}")
        changed = last_change(config_map(ctx))
        when = (
            f"; it started at {view.started:%H:%M:%S}, before {CONFIG_MAP} last changed at {changed:%H:%M:%S}"
            if view.started and view.started < changed
            else ""
        )
        return Failure(
            f"{view.where} sees {KEY}={level}, while {CONFIG_MAP} says {current}{when}",
            f"a container reads its environment once, when it starts: restart the pods: {restart}",
        )
    return None


CONFIG = Criterion("A ConfigMap app-config sets LOG_LEVEL to debug", config_holds_level)
SECRET_OK = Criterion("A Secret db-credentials holds a password", secret_holds_password)
DEPLOYMENT = Criterion("The Deployment app (from setup.yaml) exists", deployment_exists)
FROM_CONFIG = Criterion(
    "Its pod template takes LOG_LEVEL from the ConfigMap", level_from_config_map, needs=(CONFIG, DEPLOYMENT)
)
NO_LITERAL = Criterion(
    "No password is written in the Deployment itself", no_literal_password, needs=(SECRET_OK, DEPLOYMENT)
)
ROLLED_OUT = Criterion(
    "Its rollout has finished: every pod runs the latest template", rolled_out, needs=(CONFIG, NO_LITERAL)
)
AS_FILE = Criterion(
    "Inside every pod, the file /etc/secrets/password holds the Secret's password", password_is_a_file, (ROLLED_OUT,)
)
NO_LEAK = Criterion(
    "Inside every pod, the password is in no variable and no argument; and in no ConfigMap",
    no_password_elsewhere,
    (ROLLED_OUT,),
)
LEVEL_SEEN = Criterion(
    "Inside every pod, LOG_LEVEL is the ConfigMap's current value", level_seen, needs=(FROM_CONFIG, ROLLED_OUT)
)

CHECKER = Checker(
    "Move configuration and a password out of a Deployment",
    [CONFIG, SECRET_OK, DEPLOYMENT, FROM_CONFIG, NO_LITERAL, ROLLED_OUT, AS_FILE, NO_LEAK, LEVEL_SEEN],
)
