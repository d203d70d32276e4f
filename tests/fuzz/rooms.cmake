# The room library each fuzzer links: the one of the parser it drives (and the
# log's event builders, for those that check the lines they produce).
set(fuzz_room_client_hello_fuzz tlsgate_tls)
set(fuzz_room_h2_fuzz tlsgate_log)
set(fuzz_room_http1_fuzz tlsgate_log)
set(fuzz_room_http1_request_gate_fuzz tlsgate_http)
set(fuzz_room_ip_udp_fuzz tlsgate_quic)
set(fuzz_room_quic_guard_fuzz tlsgate_quic)
set(fuzz_room_quic_initial_fuzz tlsgate_quic)
set(fuzz_room_tcp_synth_fuzz tlsgate_capture)
set(fuzz_room_h2_request_gate_fuzz tlsgate_http)
set(fuzz_room_policy_fuzz tlsgate_policy)
set(fuzz_room_policy_replay_fuzz tlsgate_policy)
set(fuzz_room_icap_response_fuzz tlsgate_icap)
