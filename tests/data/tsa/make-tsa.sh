#!/usr/bin/env bash
# Builds a throwaway RFC 3161 Time-Stamping Authority for the tests with the
# openssl CLI (installed by .ci/install-test-deps), into DIR:
#   root.pem         a root CA (the trust store the tests pass as --tsa-trust)
#   tsa.pem/.key     a TSA certificate issued by it (EKU timeStamping, critical)
#   expired.pem/.key a TSA certificate issued by it, valid 2020-2021 only
#   other-root.pem   an unrelated root CA
#   rogue.pem/.key   a TSA certificate issued by the unrelated root
#   tsa.cnf          the `openssl ts -reply` configuration (ESSCertIDv2, SHA-256)
# Usage: make-tsa.sh DIR [KEYTYPE]   KEYTYPE: rsa (default) or ec (P-256 TSA keys)
set -euo pipefail
dir=$1
keytype=${2:-rsa}
mkdir -p "$dir"
cd "$dir"

newkey() { # FILE
    if [ "$keytype" = ec ]; then
        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
    else
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
    fi
}

cat >ext.cnf <<'CNF'
[ca_ext]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[tsa_ext]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

# openssl ca, for the one certificate whose dates lie in the past.
mkdir -p ca/newcerts
: >ca/index.txt
echo 1000 >ca/serial
cat >ca.cnf <<'CNF'
[ca]
default_ca = test_ca
[test_ca]
dir = ./ca
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
certificate = ./root.pem
private_key = ./root.key
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
CNF

root() { # NAME CN
    newkey "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -sha256 \
        -extensions ca_ext -config <(cat /etc/ssl/openssl.cnf ext.cnf) -out "$1.pem" 2>/dev/null
}
leaf() { # NAME CN ISSUER
    newkey "$1.key"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
    openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -CAcreateserial -days 3650 -sha256 \
        -extfile ext.cnf -extensions tsa_ext -out "$1.pem" 2>/dev/null
}

root root "evcat test root CA"
leaf tsa "evcat test TSA" root
root other-root "someone else's root CA"
leaf rogue "rogue TSA" other-root
newkey expired.key
openssl req -new -key expired.key -subj "/CN=expired test TSA" -out expired.csr 2>/dev/null
openssl ca -batch -config ca.cnf -in expired.csr -out expired.pem -notext \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -extfile ext.cnf -extensions tsa_ext 2>/dev/null

echo 01 >tsaserial
cat >tsa.cnf <<'CNF'
[tsa]
default_tsa = tsa_config
[tsa_config]
dir = .
serial = $dir/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
CNF
