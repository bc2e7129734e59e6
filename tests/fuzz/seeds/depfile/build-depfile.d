build/obj/cmd/btf.o: cmd/btf.c cmd/cmd.h cmd/../btfhub/btf_source.h \
 cmd/../btfhub/../lib/buf.h cmd/../btfhub/btfgen.h \
 cmd/../btfhub/btfset_write.h cmd/../btfhub/btf_source.h \
 cmd/../btfhub/embed.h cmd/../btfhub/pahole.h cmd/../lib/fs.h \
 cmd/../lib/buf.h cmd/../lib/proc.h cmd/../lib/project.h \
 cmd/../lib/report.h cmd/../lib/toolchain.h cmd/../runtime/btfset.h
cmd/cmd.h:
cmd/../btfhub/btf_source.h:
cmd/../btfhub/../lib/buf.h:
cmd/../btfhub/btfgen.h:
cmd/../btfhub/btfset_write.h:
cmd/../btfhub/btf_source.h:
cmd/../btfhub/embed.h:
cmd/../btfhub/pahole.h:
cmd/../lib/fs.h:
cmd/../lib/buf.h:
cmd/../lib/proc.h:
cmd/../lib/project.h:
cmd/../lib/report.h:
cmd/../lib/toolchain.h:
cmd/../runtime/btfset.h:
