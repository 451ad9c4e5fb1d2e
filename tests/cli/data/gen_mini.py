# Regenerates tests/cli/data/mini (run from tests/cli/data): a small two-environment tenant in the
# export format, PingOne-shaped, with nesting (incl. a cycle), custom role, worker apps, grants,
# scopes, a gateway and activities. Deterministic ids (uuid5).
import json, uuid, os
NS = uuid.UUID("6f1c2a4e-0b7d-4c1e-9a55-3d2f8e6b1c00")
def U(name): return str(uuid.uuid5(NS, name))
ORG = U("org")
base = "https://api.pingone.com/v1"
out = "mini"
def w(path, items):
    p = os.path.join(out, path)
    os.makedirs(os.path.dirname(p) or ".", exist_ok=True)
    with open(p, "w") as f:
        for it in items: f.write(json.dumps(it, separators=(",", ":")) + "\n")
ADM, PRD = U("env-admin"), U("env-prod")
envs = [
 {"_links":{"self":{"href":f"{base}/environments/{ADM}"}},"id":ADM,"name":"Administrators","type":"PRODUCTION","region":"NA","status":"ACTIVE","organization":{"id":ORG},"license":{"id":U("lic")},"createdAt":"2023-01-10T09:00:00.000Z","updatedAt":"2024-02-02T12:00:00.000Z"},
 {"_links":{"self":{"href":f"{base}/environments/{PRD}"}},"id":PRD,"name":"Acme Production","type":"PRODUCTION","region":"NA","status":"ACTIVE","organization":{"id":ORG},"license":{"id":U("lic")},"createdAt":"2023-01-11T09:00:00.000Z","updatedAt":"2024-03-02T12:00:00.000Z"},
]
w("environments.jsonl", envs)
R = {n: U("role-"+n) for n in ["Organization Admin","Environment Admin","Identity Data Admin","Identity Data Read Only","Configuration Read Only","Client Application Developer","Help Desk Admin"]}
perms = {
 "Organization Admin":["orgmgt:read:organization","orgmgt:update:organization","orgmgt:read:environment","orgmgt:create:environment"],
 "Environment Admin":["orgmgt:read:environment","orgmgt:update:environment","identity:read:user","identity:update:user","applications:read:secret"],
 "Identity Data Admin":["identity:read:user","identity:create:user","identity:update:user","identity:delete:user","identity:read:group"],
 "Identity Data Read Only":["identity:read:user","identity:read:group","identity:read:population"],
 "Configuration Read Only":["applications:read:application","orgmgt:read:environment","resources:read:resource"],
 "Client Application Developer":["applications:read:application","applications:create:application","applications:read:secret"],
 "Help Desk Admin":["identity:read:user","identity:update:userPassword"],
}
roles = [{"_links":{"self":{"href":f"{base}/roles/{R[n]}"}},"id":R[n],"name":n,"description":n+" role","applicableTo":["ORGANIZATION","ENVIRONMENT"] if n!="Help Desk Admin" else ["ENVIRONMENT","POPULATION"],"permissions":[{"id":p,"classifier":p.split(':')[1],"description":p} for p in perms[n]]} for n in R]
w("roles.jsonl", roles)
def pop(env, name, default=False):
    return {"_links":{"self":{"href":f"{base}/environments/{env}/populations/{U('pop-'+name)}"}},"id":U("pop-"+name),"environment":{"id":env},"name":name,"description":name+" users","default":default,"userCount":0,"createdAt":"2023-02-01T10:00:00.000Z","updatedAt":"2023-02-01T10:00:00.000Z"}
w(f"environments/{ADM}/populations.jsonl",[pop(ADM,"Admins",True)])
w(f"environments/{PRD}/populations.jsonl",[pop(PRD,"Employees",True),pop(PRD,"Contractors")])
def user(env, uname, given, family, popname, enabled=True, locked=False, last=None, mfa=True):
    u = {"_links":{"self":{"href":f"{base}/environments/{env}/users/{U('user-'+uname)}"}},"id":U("user-"+uname),"environment":{"id":env},
         "username":uname,"email":uname,"emailVerified":True,"name":{"given":given,"family":family,"formatted":f"{given} {family}"},
         "enabled":enabled,"account":{"canAuthenticate":enabled and not locked,"status":"LOCKED" if locked else "OK"},
         "lifecycle":{"status":"ACCOUNT_OK"},"population":{"id":U("pop-"+popname)},"identityProvider":{"type":"PING_ONE"},
         "mfaEnabled":mfa,"createdAt":"2023-03-01T10:00:00.000Z","updatedAt":"2024-06-01T08:15:00.000Z","verifyStatus":"NOT_INITIATED"}
    if last: u["lastSignOn"]={"at":last,"remoteIp":"203.0.113.7"}
    return u
adm_users = [user(ADM,"ana.silva@acme.example","Ana","Silva","Admins",last="2026-11-20T08:00:00.000Z"),
             user(ADM,"bram.devries@acme.example","Bram","de Vries","Admins",last="2026-09-01T08:00:00.000Z"),
             user(ADM,"chen.wei@acme.example","Chen","Wei","Admins",mfa=False)]
prd_users = [user(PRD,"dana.okafor@acme.example","Dana","Okafor","Employees",last="2026-11-25T10:00:00.000Z"),
             user(PRD,"emil.novak@acme.example","Emil","Novak","Employees",last="2026-11-02T10:00:00.000Z"),
             user(PRD,"fatima.haddad@acme.example","Fatima","Haddad","Employees"),
             user(PRD,"goran.petrov@contractor.example","Goran","Petrov","Contractors",enabled=False),
             user(PRD,"hana.sato@contractor.example","Hana","Sato","Contractors",locked=True),
             user(PRD,"ivan.lopez@acme.example","Ivan","Lopez","Employees",last="2026-11-27T10:00:00.000Z"),
             user(PRD,"julia.berg@acme.example","Julia","Berg","Employees")]
w(f"environments/{ADM}/users.jsonl", adm_users)
w(f"environments/{PRD}/users.jsonl", prd_users)
def group(env, name, popname=None, filt=None):
    g = {"_links":{"self":{"href":f"{base}/environments/{env}/groups/{U('grp-'+name)}"}},"id":U("grp-"+name),"environment":{"id":env},"name":name,"description":name,"directMemberCounts":{"users":0}}
    if popname: g["population"]={"id":U("pop-"+popname)}
    if filt: g["userFilter"]=filt
    return g
w(f"environments/{ADM}/groups.jsonl",[group(ADM,"Platform Admins"),group(ADM,"Helpdesk")])
w(f"environments/{PRD}/groups.jsonl",[group(PRD,"All Staff"),group(PRD,"Finance","Employees"),group(PRD,"Finance Leads","Employees"),group(PRD,"Engineering"),group(PRD,"Contractors Dyn","Contractors",'type eq "Contractor"'),group(PRD,"Cycle A"),group(PRD,"Cycle B")])
def mem(env, uname, gname): return {"parent":{"type":"USER","id":U("user-"+uname)},"item":{"id":U("grp-"+gname),"type":"DIRECT"}}
w(f"environments/{ADM}/user_memberships.jsonl",[mem(ADM,"ana.silva@acme.example","Platform Admins"),mem(ADM,"bram.devries@acme.example","Helpdesk"),mem(ADM,"chen.wei@acme.example","Helpdesk"),mem(ADM,"chen.wei@acme.example","Platform Admins")])
w(f"environments/{PRD}/user_memberships.jsonl",[mem(PRD,"dana.okafor@acme.example","Finance Leads"),mem(PRD,"emil.novak@acme.example","Finance"),mem(PRD,"fatima.haddad@acme.example","Engineering"),mem(PRD,"ivan.lopez@acme.example","Engineering"),mem(PRD,"ivan.lopez@acme.example","Cycle A"),mem(PRD,"julia.berg@acme.example","Cycle B"),mem(PRD,"goran.petrov@contractor.example","Finance")])
def nest(child, parent): return {"parent":{"type":"GROUP","id":U("grp-"+child)},"item":{"id":U("grp-"+parent),"type":"DIRECT","_links":{"self":{"href":f"{base}/environments/{PRD}/groups/{U('grp-'+child)}/memberOfGroups/{U('grp-'+parent)}"}}}}
w(f"environments/{PRD}/group_parents.jsonl",[nest("Finance Leads","Finance"),nest("Finance","All Staff"),nest("Engineering","All Staff"),nest("Cycle A","Cycle B"),nest("Cycle B","Cycle A")])
w(f"environments/{ADM}/group_parents.jsonl",[])
CUST = U("role-custom-support")
w(f"environments/{ADM}/roles.jsonl",[{"_links":{"self":{"href":f"{base}/environments/{ADM}/roles/{CUST}"}},"id":CUST,"name":"Support L1","description":"Password resets","type":"CUSTOM","environment":{"id":ADM},"applicableTo":["ENVIRONMENT","POPULATION"],"permissions":[{"id":"identity:read:user"},{"id":"identity:update:userPassword"}],"canBeAssignedBy":[{"id":R["Environment Admin"]}],"canAssign":[]}])
w(f"environments/{PRD}/roles.jsonl",[])
def app(env, name, typ, proto="OPENID_CONNECT", enabled=True, ac=None):
    a = {"_links":{"self":{"href":f"{base}/environments/{env}/applications/{U('app-'+name)}"}},"id":U("app-"+name),"environment":{"id":env},"name":name,"description":name,"enabled":enabled,"type":typ,"protocol":proto,"createdAt":"2023-04-01T10:00:00.000Z","updatedAt":"2023-04-01T10:00:00.000Z"}
    if typ=="WORKER": a.update({"grantTypes":["CLIENT_CREDENTIALS"],"tokenEndpointAuthMethod":"CLIENT_SECRET_BASIC"})
    if ac: a["accessControl"]=ac
    return a
w(f"environments/{ADM}/applications.jsonl",[app(ADM,"p1graph collector","WORKER"),app(ADM,"Provisioning Bot","WORKER"),app(ADM,"PingOne Admin Console","PING_ONE_ADMIN_CONSOLE",ac={"role":{"type":"ADMIN_USERS_ONLY"}})])
w(f"environments/{PRD}/applications.jsonl",[app(PRD,"Expense Portal","WEB_APP",ac={"group":{"type":"ANY_GROUP","groups":[{"id":U("grp-Finance")}]}}),app(PRD,"Payroll","WEB_APP","SAML",ac={"group":{"type":"ALL_GROUPS","groups":[{"id":U("grp-Finance")},{"id":U("grp-All Staff")}]}}),app(PRD,"Wiki","SINGLE_PAGE_APP"),app(PRD,"Legacy CRM","WEB_APP",enabled=False),app(PRD,"HR Sync","WORKER")])
def res(env, name, typ): return {"_links":{"self":{"href":f"{base}/environments/{env}/resources/{U('res-'+env+name)}"}},"id":U("res-"+env+name),"environment":{"id":env},"name":name,"type":typ,"audience":name.lower().replace(' ','-'),"accessTokenValiditySeconds":3600}
w(f"environments/{ADM}/resources.jsonl",[res(ADM,"PingOne API","PINGONE_API")])
w(f"environments/{PRD}/resources.jsonl",[res(PRD,"PingOne API","PINGONE_API"),res(PRD,"openid","OPENID_CONNECT"),res(PRD,"Expenses API","CUSTOM")])
def scope(env, rname, sname): return {"parent":{"type":"RESOURCE","id":U("res-"+env+rname)},"item":{"_links":{"self":{"href":"x"}},"id":U("scope-"+env+rname+sname),"name":sname,"description":sname,"resource":{"id":U("res-"+env+rname)},"schemaAttributes":[]}}
w(f"environments/{ADM}/scopes.jsonl",[scope(ADM,"PingOne API","p1:read:user")])
w(f"environments/{PRD}/scopes.jsonl",[scope(PRD,"PingOne API","p1:read:user"),scope(PRD,"PingOne API","p1:update:user"),scope(PRD,"openid","openid"),scope(PRD,"openid","profile"),scope(PRD,"Expenses API","expenses:read"),scope(PRD,"Expenses API","expenses:approve")])
def grant(env, aname, rname, snames): return {"parent":{"type":"APPLICATION","id":U("app-"+aname)},"item":{"_links":{"self":{"href":"x"}},"id":U("grant-"+aname+rname),"application":{"id":U("app-"+aname)},"resource":{"id":U("res-"+env+rname)},"scopes":[{"id":U("scope-"+env+rname+s)} for s in snames],"createdAt":"2023-05-01T10:00:00.000Z"}}
w(f"environments/{ADM}/grants.jsonl",[])
w(f"environments/{PRD}/grants.jsonl",[grant(PRD,"Expense Portal","openid",["openid","profile"]),grant(PRD,"Expense Portal","Expenses API",["expenses:read","expenses:approve"]),grant(PRD,"Wiki","PingOne API",["p1:read:user","p1:update:user"])])
w(f"environments/{ADM}/gateways.jsonl",[])
w(f"environments/{PRD}/gateways.jsonl",[{"_links":{"self":{"href":"x"}},"id":U("gw-ldap"),"environment":{"id":PRD},"name":"Corp LDAP","description":"AD bridge","type":"LDAP","enabled":True}])
def ra(ptype, pid, key, role, stype, sid, env, extra=None):
    item = {"_links":{"self":{"href":"x"}},"id":U(f"ra-{pid}-{role}-{sid}"),"role":{"id":role},"scope":{"id":sid,"type":stype},"environment":{"id":env},"readOnly":False}
    if extra: item.update(extra)
    return {"parent":{"type":ptype,"id":pid},"item":item}
adm_ra = [
 ra("USER",U("user-ana.silva@acme.example"),0,R["Organization Admin"],"ORGANIZATION",ORG,ADM),
 ra("USER",U("user-bram.devries@acme.example"),0,R["Environment Admin"],"ENVIRONMENT",PRD,ADM),
 ra("USER",U("user-chen.wei@acme.example"),0,CUST,"POPULATION",U("pop-Employees"),ADM),
 ra("GROUP",U("grp-Helpdesk"),0,R["Help Desk Admin"],"ENVIRONMENT",PRD,ADM,{"group":{"id":U("grp-Helpdesk")}}),
 ra("GROUP",U("grp-Platform Admins"),0,R["Identity Data Admin"],"ENVIRONMENT",PRD,ADM,{"group":{"id":U("grp-Platform Admins")}}),
 ra("APPLICATION",U("app-p1graph collector"),0,R["Identity Data Read Only"],"ENVIRONMENT",PRD,ADM),
 ra("APPLICATION",U("app-p1graph collector"),0,R["Configuration Read Only"],"ENVIRONMENT",PRD,ADM),
 ra("APPLICATION",U("app-p1graph collector"),0,R["Identity Data Read Only"],"ENVIRONMENT",ADM,ADM),
 ra("APPLICATION",U("app-Provisioning Bot"),0,R["Identity Data Admin"],"ENVIRONMENT",PRD,ADM),
]
prd_ra = [
 ra("USER",U("user-dana.okafor@acme.example"),0,R["Client Application Developer"],"APPLICATION",U("app-Expense Portal"),PRD),
 ra("APPLICATION",U("app-HR Sync"),0,R["Identity Data Admin"],"POPULATION",U("pop-Employees"),PRD),
 ra("GATEWAY",U("gw-ldap"),0,R["Identity Data Admin"],"ENVIRONMENT",PRD,PRD,{"gateway":{"id":U("gw-ldap")}}),
]
w(f"environments/{ADM}/role_assignments.jsonl",adm_ra)
w(f"environments/{PRD}/role_assignments.jsonl",prd_ra)
def act(env, i, when, action, user=None, client=None, ok=True):
    a = {"_links":{"self":{"href":f"{base}/environments/{env}/activities/{U('act'+str(i))}"}},"id":U("act"+str(i)),"recordedAt":when,"createdAt":when,"correlationId":U("corr"+str(i)),"action":{"type":action,"description":action},"resources":[{"type":"USER","id":user or U("x"),"environment":{"id":env}}],"result":{"status":"SUCCESS" if ok else "FAILED","description":"ok"}}
    actors = {}
    if user: actors["user"]={"id":user,"name":"u","type":"USER","environment":{"id":env}}
    if client: actors["client"]={"id":client,"name":"c","type":"CLIENT","environment":{"id":env}}
    if actors: a["actors"]=actors
    return a
w(f"environments/{ADM}/activities.jsonl",[act(ADM,1,"2026-11-20T08:00:02.120Z","USER.UPDATED",U("user-ana.silva@acme.example"),"adminui"),act(ADM,2,"2026-11-10T09:30:00.000Z","ROLE_ASSIGNMENT.CREATED",U("user-bram.devries@acme.example"),"adminui")])
w(f"environments/{PRD}/activities.jsonl",[act(PRD,3,"2026-11-27T10:00:00.000Z","USER.ACCESS_ALLOWED",U("user-ivan.lopez@acme.example"),U("app-Wiki")),act(PRD,4,"2026-11-25T10:00:00.000Z","USER.ACCESS_ALLOWED",U("user-dana.okafor@acme.example"),U("app-Expense Portal")),act(PRD,5,"2026-11-24T00:00:00.000Z","USER.ACCESS_DENIED",U("user-hana.sato@contractor.example"),U("app-Payroll"),ok=False),act(PRD,6,"2026-11-02T10:00:00.000Z","USER.ACCESS_ALLOWED",U("user-emil.novak@acme.example"),U("app-Expense Portal"))])
man = {"format":"p1graph-export","version":1,"capturedAt":"2026-11-28T00:00:00Z","region":"NA","organization":{"id":ORG,"name":"Acme Corp"},"collector":{"environmentId":ADM,"clientId":U("app-p1graph collector")},"activities":{"from":"2026-11-01T00:00:00Z","to":"2026-11-28T00:00:00Z"},"coverage":[]}
open(os.path.join(out,"manifest.json"),"w").write(json.dumps(man, indent=2)+"\n")
print(ADM, PRD, U("app-p1graph collector"))
