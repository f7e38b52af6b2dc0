// A generated platform repository: 10,000 manifest files — 2,000
// Certificates, 1,000 annotated Ingresses, the rest other Kubernetes objects —
// in 100 kustomize app folders with namespaces, and a .sops.yaml at the root
// so that every Certificate's Secret can be planned.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Shape {
  files: number;
  certificates: number;
  ingresses: number;
}

export const DEFAULT_SHAPE: Shape = { files: 10_000, certificates: 2_000, ingresses: 1_000 };

export function generateRepository(root: string, shape: Shape = DEFAULT_SHAPE): void {
  const apps = 100;
  const perApp = Math.ceil(shape.files / apps);
  mkdirSync(join(root, "platform"), { recursive: true });
  writeFileSync(join(root, "platform", "issuers.yaml"), ISSUERS);
  writeFileSync(join(root, ".sops.yaml"), SOPS_CONFIG);
  let written = 1;
  let certs = 0;
  let ingresses = 0;
  for (let a = 0; a < apps && written < shape.files; a++) {
    const dir = join(root, "apps", `app-${a}`);
    mkdirSync(dir, { recursive: true });
    const resources: string[] = [];
    for (let i = 0; i < perApp - 1 && written < shape.files - 1; i++) {
      const name = `r${i}`;
      let text: string;
      if (certs < shape.certificates && i % 5 === 0) text = certificate(`cert-${certs++}`, a);
      else if (ingresses < shape.ingresses && i % 5 === 1) text = ingress(`web-${ingresses++}`, a);
      else text = OTHER[i % OTHER.length]!(`${name}-${a}`);
      writeFileSync(join(dir, `${name}.yaml`), text);
      resources.push(`${name}.yaml`);
      written++;
    }
    writeFileSync(join(dir, "kustomization.yaml"), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: app-${a}\nresources:\n${resources.map((r) => `  - ${r}`).join("\n")}\n`);
    written++;
  }
  if (certs < shape.certificates || ingresses < shape.ingresses) throw new Error(`shape too dense: ${certs} certificates, ${ingresses} ingresses`);
}

const SOPS_CONFIG = `creation_rules:
  - path_regex: \\.sops\\.yaml$
    encrypted_regex: ^(data|stringData)$
    age: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
`;

const ISSUERS = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: selfsigned
spec:
  selfSigned: {}
---
apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata:
  name: internal-ca
spec:
  ca:
    secretName: internal-ca
`;

const certificate = (name: string, app: number) => `apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: ${name}
  labels:
    app.kubernetes.io/part-of: app-${app}
spec:
  secretName: ${name}-tls
  commonName: ${name}.app-${app}.example.com
  dnsNames:
    - ${name}.app-${app}.example.com
    - ${name}.app-${app}.svc.cluster.local
  duration: 2160h
  renewBefore: 360h
  privateKey:
    algorithm: ECDSA
    size: 256
  usages:
    - server auth
    - digital signature
  issuerRef:
    name: internal-ca
    kind: ClusterIssuer
`;

const ingress = (name: string, app: number) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: ${name}
  annotations:
    cert-manager.io/cluster-issuer: internal-ca
    cert-manager.io/duration: 2160h
    nginx.ingress.kubernetes.io/proxy-body-size: 8m
spec:
  ingressClassName: nginx
  tls:
    - hosts:
        - ${name}.app-${app}.example.com
      secretName: ${name}-tls
  rules:
    - host: ${name}.app-${app}.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: ${name}
                port:
                  number: 80
`;

const deployment = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: registry.example.com/${name}:1.2.3
          ports:
            - containerPort: 8080
          env:
            - name: LOG_LEVEL
              value: info
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`;

const service = (name: string) => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: 80
      targetPort: 8080
`;

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  settings.json: |
    {"feature": true, "limit": 10}
  LOG_FORMAT: json
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: ${name}
`;

const OTHER = [deployment, service, configMap];
