"""Read ``template.yaml`` the way CloudFormation would, for the resources the local stack creates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"
STACK_NAME = "paid-account-invites"
NO_VALUE = "\0no-value"  # what Ref AWS::NoValue resolves to: the property is left out


class _Loader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags turned into their long form."""


def _tag(loader: _Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_Loader.add_multi_constructor("!", _tag)


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, str]
    timeout: int = 3  # seconds, Lambda's default

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.logical_id}"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str
    public: bool


class Template:
    def __init__(self, parameters: dict[str, str] | None = None, path: Path = TEMPLATE) -> None:
        self.path = path
        self.doc: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - safe loader subclass
        self.overrides = {k: str(v) for k, v in (parameters or {}).items()}
        # what Ref answers for resources the local stack created under an id of the service's choosing
        # (the app client of the user pool, local/cognito.py)
        self.physical_ids: dict[str, str] = {}

    # ------------------------------------------------------------ resources by type

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        """The resources of this type that CloudFormation would create: those with a ``Condition`` false under
        the parameters in force are left out."""
        return {
            k: v
            for k, v in self.doc["Resources"].items()
            if v["Type"] == kind and ("Condition" not in v or self.condition(v["Condition"]))
        }

    def queues(self) -> dict[str, dict[str, Any]]:
        """Logical id -> the SQS queue's properties (the local queue is named after its logical id)."""
        return {k: v.get("Properties", {}) for k, v in self.resources("AWS::SQS::Queue").items()}

    def rules(self) -> dict[str, dict[str, Any]]:
        """Logical id -> the EventBridge rule's properties."""
        return {k: v["Properties"] for k, v in self.resources("AWS::Events::Rule").items()}

    @cached_property
    def parameters(self) -> dict[str, str]:
        values = {k: str(v.get("Default", "")) for k, v in self.doc.get("Parameters", {}).items()}
        unknown = set(self.overrides) - set(values)
        if unknown:
            raise KeyError(f"not parameters of the template: {sorted(unknown)}")
        return {**values, **self.overrides}

    def tables(self) -> dict[str, dict[str, Any]]:
        """Logical id -> the table's properties (the local table is named after its logical id)."""
        return {k: v["Properties"] for k, v in self.resources("AWS::DynamoDB::Table").items()}

    def functions(self) -> dict[str, Function]:
        glob = self.doc.get("Globals", {}).get("Function", {})
        base_env = glob.get("Environment", {}).get("Variables", {})
        found = {}
        for logical_id, res in self.resources("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = {**base_env, **props.get("Environment", {}).get("Variables", {})}
            found[logical_id] = Function(
                logical_id=logical_id,
                code_uri=ROOT / props["CodeUri"],
                handler=props.get("Handler", glob.get("Handler", "")),
                environment={k: str(r) for k, v in env.items() if (r := self.resolve(v)) != NO_VALUE},
                timeout=int(self.resolve(props.get("Timeout", glob.get("Timeout", 3)))),
            )
        return found

    def routes(self) -> list[Route]:
        api = next(iter(self.resources("AWS::Serverless::Api").values()), {"Properties": {}})
        default_auth = api["Properties"].get("Auth", {}).get("DefaultAuthorizer")
        found = []
        for logical_id, res in self.resources("AWS::Serverless::Function").items():
            for event in res["Properties"].get("Events", {}).values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                authorizer = props.get("Auth", {}).get("Authorizer", default_auth)
                found.append(Route(props["Method"].upper(), props["Path"], logical_id, authorizer in (None, "NONE")))
        return found

    def state_machines(self) -> dict[str, str]:
        """Logical id -> definition with its DefinitionSubstitutions applied, for every state machine."""
        found = {}
        for logical_id, res in self.resources("AWS::Serverless::StateMachine").items():
            props = res["Properties"]
            text = (ROOT / props["DefinitionUri"]).read_text()
            subs = {k: str(self.resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
            found[logical_id] = substitute(text, subs)
        return found

    def state_machine(self, logical_id: str = "InvitationStateMachine") -> tuple[str, str]:
        """(logical id, definition) of one state machine: the invitation's unless named."""
        return logical_id, self.state_machines()[logical_id]

    # ------------------------------------------------------------ intrinsic functions

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((name, arg),) = value.items()
            if name == "Ref":
                return self._ref(arg)
            if name == "Fn::GetAtt":
                return self._get_att(*arg)
            if name == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub_name(m.group(1), extra)), text)
            if name == "Fn::Select":
                index, items = arg
                found = self.resolve(items)
                # a parameter left empty (a template read without the local stack's answers): nothing to select
                return found[int(index)] if int(index) < len(found) else ""
            if name == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if name == "Fn::If":
                condition, if_true, if_false = arg
                return self.resolve(if_true if self.condition(condition) else if_false)
        return value

    def resolve_all(self, value: Any) -> Any:
        """``resolve`` throughout a structure (an event pattern, a policy)."""
        resolved = self.resolve(value)
        if resolved is not value:
            return resolved
        if isinstance(value, dict):
            return {k: self.resolve_all(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve_all(v) for v in value]
        return value

    def condition(self, name: str) -> bool:
        """A condition of the template's ``Conditions``, evaluated with the parameters in force."""
        return self._truth(self.doc.get("Conditions", {})[name])

    def _truth(self, value: Any) -> bool:
        ((name, arg),) = value.items()
        if name == "Fn::Equals":
            left, right = (str(self.resolve(v)) for v in arg)
            return left == right
        if name == "Fn::Not":
            return not self._truth(arg[0])
        if name == "Fn::And":
            return all(self._truth(v) for v in arg)
        if name == "Fn::Or":
            return any(self._truth(v) for v in arg)
        if name in ("Condition", "Fn::Condition"):  # the short form !Condition reads as Fn::Condition
            return self.condition(arg)
        raise KeyError(f"condition function {name} is not known to the local stack")

    def _sub_name(self, name: str, extra: dict[str, Any]) -> Any:
        if name in extra:
            return self.resolve(extra[name])
        if "." in name and not name.startswith("AWS::"):
            return self._get_att(*name.split(".", 1))
        return self._ref(name)

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": STACK_NAME,
            "AWS::NoValue": NO_VALUE,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        res = self.doc["Resources"][name]
        kind = res["Type"]
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::Events::EventBus":
            return str(self.resolve(res["Properties"]["Name"]))
        if kind == "AWS::SQS::Queue":  # its URL (the local stack's, once it created the queue)
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        return name  # tables, functions, APIs, layers: their local name is the logical id

    def _get_att(self, name: str, attribute: str) -> str:
        kind = self.doc["Resources"][name]["Type"]
        if attribute == "Arn" and kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if kind == "AWS::SQS::Queue":
            if attribute == "Arn":
                return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
            if attribute == "QueueName":
                return name
        if attribute == "Arn" and kind == "AWS::Events::Rule":
            return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{name}"
        if attribute == "Name":
            return name
        if attribute == "Arn":
            return self._ref(name)
        raise KeyError(f"GetAtt {name}.{attribute} is not known to the local stack")


def substitute(text: str, values: dict[str, str]) -> str:
    """CloudFormation's DefinitionSubstitutions: ``${Name}`` replaced; an unknown one is an error."""

    def one(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"no substitution for ${{{match.group(1)}}}")
        return values[match.group(1)]

    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", one, text)
